/* chatd chat frame: keep scrolled to the newest line unless the reader scrolled up. */
(function () {
	"use strict";
	var pinned = true;
	window.addEventListener("scroll", function () {
		var el = document.scrollingElement || document.documentElement;
		pinned = el.scrollTop + window.innerHeight >= el.scrollHeight - 40;
	});
	function follow() {
		var el = document.scrollingElement || document.documentElement;
		if (pinned)
			el.scrollTop = el.scrollHeight;
	}
	var observer = new MutationObserver(follow);
	function watch() {
		if (document.body) {
			observer.observe(document.body, { childList: true });
			follow();
		} else {
			setTimeout(watch, 50);
		}
	}
	watch();
}());

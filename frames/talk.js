/*
 * chatd talk frame: after each message the server sends a fresh page, so the
 * cursor goes back into the message field.  Up recalls the last message sent
 * from this tab.  Without scripts the field has autofocus and works as well.
 * With scripts the field becomes a text area: Enter sends, Shift+Enter
 * starts a new line (messages may hold several).
 */
(function () {
	"use strict";
	var field = document.getElementById("message");
	var form = document.getElementById("talk");
	var store = null;

	if (!field)
		return;
	field = multiline(field);
	/* After a post (say /away or /color) the names frame may be behind. */
	try {
		if (typeof window.parent.frames.chat.chatdNames ===
		    "function" && !/\/talk\?/.test(location.href))
			window.parent.frames.chat.chatdNames();
	} catch (e) {
		/* not in chatd's frameset */
	}
	try {
		store = window.sessionStorage;
	} catch (e) {
		store = null;
	}
	field.focus();
	field.setSelectionRange(field.value.length, field.value.length);
	if (form && store)
		form.addEventListener("submit", function () {
			if (field.value !== "")
				store.setItem("chatd-last", field.value);
		});
	field.addEventListener("keydown", function (e) {
		var prev = store && store.getItem("chatd-last");

		if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
			e.preventDefault();
			if (form && field.value.replace(/\s+/g, "") !== "") {
				if (store)
					store.setItem("chatd-last", field.value);
				if (typeof form.requestSubmit === "function")
					form.requestSubmit();
				else
					form.submit();
			}
		} else if (e.key === "ArrowUp" && field.value === "" && prev) {
			field.value = prev;
			e.preventDefault();
		} else if (e.key === "Escape") {
			field.value = "";
		}
	});

	/* Puts a text area with the same name, value and look in the field's place. */
	function multiline(input) {
		var ta = document.createElement("textarea");
		var keep = ["id", "name", "autocomplete", "placeholder", "aria-label",
		    "maxlength", "class"];

		keep.forEach(function (a) {
			if (input.hasAttribute(a))
				ta.setAttribute(a, input.getAttribute(a));
		});
		ta.rows = 1;
		ta.value = input.value;
		ta.setAttribute("enterkeyhint", "send");
		input.parentNode.replaceChild(ta, input);
		return ta;
	}
}());

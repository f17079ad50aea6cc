/*
 * chatd talk frame: after each message the server sends a fresh page, so the
 * cursor goes back into the message field.  Up recalls the last message sent
 * from this tab.  Without scripts the field has autofocus and works as well.
 */
(function () {
	"use strict";
	var field = document.getElementById("message");
	var form = document.getElementById("talk");
	var store = null;

	if (!field)
		return;
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

		if (e.key === "ArrowUp" && field.value === "" && prev) {
			field.value = prev;
			e.preventDefault();
		} else if (e.key === "Escape") {
			field.value = "";
		}
	});
}());

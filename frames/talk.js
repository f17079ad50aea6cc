/* chatd talk frame: keep the focus in the message field. */
(function () {
	"use strict";
	var field = document.getElementById("message");
	if (field) {
		field.focus();
		field.setSelectionRange(field.value.length, field.value.length);
	}
}());

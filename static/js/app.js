// Comarketing page behaviour. Loaded as a file: the CSP allows no inline script.
"use strict";

// Forms marked data-confirm ask before they submit (ending a partnership, deactivating a user).
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm) {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }
});

// "Add a row" buttons copy the last row of a WTForms FieldList and renumber its fields
// (placements-2-name -> placements-3-name), so a form can grow without a round trip. The
// buttons are submit buttons: with no row to copy (or no JavaScript) the server adds the row.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-add-row]");
  if (!button) {
    return;
  }
  const body = document.getElementById(button.dataset.addRow);
  const rows = body ? body.querySelectorAll("tr") : [];
  if (!rows.length) {
    return;
  }
  event.preventDefault();
  const next = rows.length;
  const copy = rows[rows.length - 1].cloneNode(true);
  copy.querySelectorAll("input, select, textarea").forEach(function (input) {
    ["name", "id"].forEach(function (attribute) {
      const value = input.getAttribute(attribute);
      if (value) {
        input.setAttribute(attribute, value.replace(/-\d+-/, "-" + next + "-"));
      }
    });
    if (input.tagName === "SELECT") {
      input.selectedIndex = 0;
    } else {
      input.value = "";
    }
    input.classList.remove("is-invalid");
  });
  copy.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
  body.appendChild(copy);
});

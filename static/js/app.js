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

// The top bar's ward and plan chooser: a choice reloads the page in the chosen plan. A plain
// form underneath (its button shows without script), since the CSP allows no inline handlers.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (select instanceof HTMLSelectElement && select.closest(".ward-chooser")) {
    select.form.submit();
  }
});

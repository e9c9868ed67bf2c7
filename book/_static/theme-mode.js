// On a first visit the theme finds no saved colour mode and logs an error
// before falling back to "auto"; start from "auto" directly.
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}

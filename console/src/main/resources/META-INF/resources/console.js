// Progressive enhancement only: every page works without this file.
// Review: keyboard shortcuts for the whole flow. Alignment: a run page follows its run live.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT"
      || (target.tagName === "INPUT" && !["radio", "checkbox", "submit", "button"].includes(target.type)));
  }

  function reviewShortcuts(root) {
    const form = root.querySelector("form.feedback");
    const markIncorrect = (incorrect) => form && form.classList.toggle("incorrect", incorrect);
    if (form) {
      form.addEventListener("change", (e) => {
        if (e.target.name === "verdict") markIncorrect(e.target.value === "incorrect");
      });
      const checked = form.querySelector("input[name=verdict]:checked");
      markIncorrect(checked && checked.value === "incorrect");
    }
    document.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && form) {
        e.preventDefault();
        form.requestSubmit();
        return;
      }
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key === "c" && form) {
        const correct = form.querySelector("#verdict-correct");
        correct.checked = true; markIncorrect(false); correct.focus();
      } else if (key === "x" && form) {
        const incorrect = form.querySelector("#verdict-incorrect");
        incorrect.checked = true; markIncorrect(true);
        const first = form.querySelector("input[name=expected]");
        (first || incorrect).focus();
      } else if (/^[1-9]$/.test(key) && form) {
        const choices = form.querySelectorAll("input[type=radio][name=expected]");
        const choice = choices[Number(key) - 1];
        if (choice) {
          form.querySelector("#verdict-incorrect").checked = true; markIncorrect(true);
          choice.checked = true; choice.focus();
        }
      } else if (key === "e" && form) {
        e.preventDefault();
        form.querySelector("#verdict-incorrect").checked = true; markIncorrect(true);
        form.querySelector("#critique").focus();
      } else if (key === "s") {
        const skip = root.querySelector("#skip");
        if (skip) skip.click();
      }
    });
  }

  function followRun(root) {
    const url = root.getAttribute("data-follow");
    if (!url || !window.EventSource) return;
    const source = new EventSource(url);
    // A form sent from this page (Cancel) is answered with the run's page: no reload may overtake it.
    document.addEventListener("submit", () => source.close());
    source.onmessage = (event) => {
      const target = document.getElementById("run-live");
      if (target) target.innerHTML = event.data;
      if (target && target.querySelector("[data-final]")) {
        source.close();
        window.location.reload();
      }
    };
    source.onerror = () => source.close();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const review = document.querySelector("[data-shortcuts=review]");
    if (review) reviewShortcuts(review);
    const run = document.querySelector("[data-follow]");
    if (run) followRun(run);
    document.querySelectorAll("[data-open-dialog]").forEach((button) => {
      const dialog = document.getElementById(button.getAttribute("data-open-dialog"));
      if (!dialog || !dialog.showModal) return;
      button.addEventListener("click", (e) => { e.preventDefault(); dialog.showModal(); });
    });
  });
})();

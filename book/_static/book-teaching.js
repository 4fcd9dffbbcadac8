/* Predict, then reveal: [data-predict] questions work with no kernel and no model.
 *
 * Each choice is a <button>, so mouse, keyboard (Tab, Enter, Space) and screen readers all work. Pressing
 * one marks it, says whether the guess was right, and reveals the answer and its reason, which sit in a
 * polite live region so a screen reader reads them out. Another choice can be pressed afterwards.
 */
(function () {
  "use strict";

  function setup(box) {
    const answer = Number(box.dataset.answer);
    const reveal = box.querySelector(".predict-answer");
    const verdict = box.querySelector(".predict-verdict");
    const choices = Array.from(box.querySelectorAll(".predict-choice"));
    choices.forEach((button) =>
      button.addEventListener("click", () => {
        const picked = Number(button.dataset.choice);
        choices.forEach((b) => {
          b.setAttribute("aria-pressed", String(b === button));
          b.classList.toggle("predict-correct", Number(b.dataset.choice) === answer);
          b.classList.toggle("predict-wrong", b === button && picked !== answer);
        });
        verdict.textContent =
          picked === answer ? `You said “${button.textContent}”: right.` : `You said “${button.textContent}”: not this time.`;
        reveal.hidden = false;
        box.dataset.revealed = "true";
      }),
    );
  }

  function init() {
    document.querySelectorAll("[data-predict]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

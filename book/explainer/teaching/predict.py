"""Predict, then reveal: a question the reader answers before the page shows the number.

``predict(question, choices, answer, reason)`` is the last line of a cell whose code is hidden on the site.
While the site is built it renders an element ``[data-predict]`` whose choices are buttons; pressing one
(mouse or keyboard) reveals the answer and the reason, with no kernel and no model
(``_static/book-teaching.js``). In JupyterLab the same cell shows the question with the answer folded
in a ``<details>`` element. The answer and reason are computed by the chapter, so they are always true
of the numbers on the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from explainer.teaching.panels import building_site


def _inline(text: str) -> str:
    """Escaped text, with *emphasis* and `code` as the chapters' prose writes them."""
    out = html.escape(str(text))
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*([^*\s][^*]*)\*", r"<em>\1</em>", out)


class Predict:
    """A question with buttons for its choices; the answer stays hidden until the reader picks one."""

    def __init__(self, question: str, choices: Sequence[str], answer: int, reason: str):
        if not isinstance(question, str) or not question.strip():
            raise ValueError("a prediction needs a question")
        self.choices = [str(c) for c in choices]
        if len(self.choices) < 2:
            raise ValueError("a prediction needs at least two choices")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(self.choices):
            raise ValueError(f"answer must be the index of one of the {len(self.choices)} choices, got {answer!r}")
        self.question, self.answer, self.reason = question, answer, reason

    def site_html(self) -> str:
        buttons = "".join(
            f'<button type="button" class="predict-choice" data-choice="{i}" aria-pressed="false">{_inline(c)}</button>'
            for i, c in enumerate(self.choices)
        )
        return (
            f'<div class="predict" data-predict data-answer="{self.answer}">'
            f'<p class="predict-question"><span class="predict-label">Predict first.</span> {_inline(self.question)}</p>'
            f'<div class="predict-choices" role="group" aria-label="Your guess">{buttons}</div>'
            '<div class="predict-reveal" role="status" aria-live="polite">'
            f'<div class="predict-answer" hidden><p class="predict-verdict"></p>'
            f"<p><strong>Answer: {_inline(self.choices[self.answer])}.</strong> {_inline(self.reason)}</p></div>"
            "</div></div>"
        )

    def lab_html(self) -> str:
        choices = " · ".join(_inline(c) for c in self.choices)
        return (
            f"<p><b>Predict first.</b> {_inline(self.question)}<br>{choices}</p><details><summary>Answer</summary>"
            f"<p><b>{_inline(self.choices[self.answer])}.</b> {_inline(self.reason)}</p></details>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        text = f"Predict: {self.question} ({' / '.join(self.choices)})"
        return {"text/html": self.site_html() if building_site() else self.lab_html(), "text/plain": text}


def predict(question: str, choices: Sequence[str], answer: int, reason: str) -> Predict:
    """A predict-then-reveal question; ``answer`` is the index of the right choice, ``reason`` says why."""
    return Predict(question, choices, answer, reason)

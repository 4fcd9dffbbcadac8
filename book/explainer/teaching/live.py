"""Live widgets for JupyterLab and Binder: type your own words, the figures follow.

``Live`` turns widgets into figures, ``with_tries`` adds "try this" buttons, ``explore`` is the explorer
that the intro and other chapters show. The static site cannot run these (no kernel): ``panels.py`` shows
a panel that the browser drives instead, and each chapter's own widget sits beside its panel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from helpers import ModelNotAvailableError, plot_heatmap, plot_projection

MAX_LIVE_WORDS = 60


def parse_words(text: Any, minimum: int = 2, maximum: int = MAX_LIVE_WORDS) -> list[str]:
    """Comma- or newline-separated words from a text box, cleaned, with a one-sentence error."""
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    words = list(dict.fromkeys(w.strip() for w in re.split(r"[,\n]", text) if w.strip()))
    if len(words) < minimum:
        raise ValueError(f"Type at least {minimum} words or phrases, separated by commas.")
    if len(words) > maximum:
        raise ValueError(f"That is {len(words)} entries; this explorer draws up to {maximum} at a time.")
    return words


def _bundle(shown: Any) -> dict:
    """What an Output widget shows for a plotly figure, or for anything with its own HTML (clips to play)."""
    if isinstance(shown, go.Figure):
        return pio.renderers["book"].to_mimebundle(shown.to_dict())
    return {"text/html": shown._repr_html_(), "text/plain": repr(shown)}


class Live:
    """Widgets in, figures out: any change re-draws; bad input becomes a one-line message.

    ``controls`` maps argument names to ipywidgets; ``draw(**values)`` returns a figure or a list of
    figures, or raises ValueError/TypeError with a sentence for the reader.
    """

    def __init__(self, controls: Mapping[str, Any], draw: Any, note: str = ""):
        import ipywidgets as widgets

        self.controls = dict(controls)
        self.draw = draw
        self.figures: list[go.Figure] = []
        self.message = widgets.HTML(value="")
        self.output = widgets.Output()
        self.seconds = 0.0
        header = [widgets.HTML(f"<small>{note}</small>")] if note else []
        self.widget = widgets.VBox([*header, widgets.HBox(list(self.controls.values())), self.message, self.output])
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def update(self, change: Any = None) -> None:
        import html
        import time

        started = time.perf_counter()
        if change is not None:
            self.message.value = '<span style="color:#666">working… (the first new word loads the model)</span>'
        try:
            result = self.draw(**{name: c.value for name, c in self.controls.items()})
        except (ValueError, TypeError, KeyError, FileNotFoundError, ModelNotAvailableError) as err:
            self.message.value = f'<span style="color:#b3261e">{html.escape(str(err))}</span>'
            return
        self.figures = list(result) if isinstance(result, (list, tuple)) else [result]
        self.seconds = time.perf_counter() - started
        self.message.value = f'<span style="color:#666">updated in {self.seconds:.2f} s</span>'
        from IPython import get_ipython

        if get_ipython() is None:  # no front end to draw in (a script or a test): keep the figures only
            return
        # Set the Output widget's contents directly rather than capturing prints with `with output:`;
        # capture routes messages by id, which made nbclient hang now and then when the build ran this.
        # (Not append_display_data either: formatting a plotly figure displays it in the cell instead.)
        self.output.outputs = tuple(
            {"output_type": "display_data", "data": _bundle(fig), "metadata": {}} for fig in self.figures
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def with_tries(live: Any, tries: Sequence[tuple[str, Mapping[str, Any], str]]) -> Any:
    """A Live widget with "try this" buttons above it: each sets the named controls, which re-draws."""
    if not tries:
        return live
    import ipywidgets as widgets

    def setter(values: Mapping[str, Any]) -> Any:
        def press(_button: Any) -> None:
            for name, value in values.items():
                control = live.controls.get(name)
                if control is not None:
                    control.value = type(control.value)(value)

        return press

    rows = []
    for label, values, hint in tries:
        if not set(values) <= set(live.controls):  # a try this widget cannot do (the site's panel has more controls)
            continue
        button = widgets.Button(description=label, tooltip=hint, layout=widgets.Layout(width="auto"))
        button.on_click(setter(values))
        rows.append(widgets.HBox([button, widgets.Label(hint)]))
    return widgets.VBox([widgets.HTML("<b>Try this:</b>"), *rows, live.widget])


def explore(
    words: str = "king, queen, prince, cat, dog, wolf, pizza, bread, car, train", method: str = "pca", dims: int = 2
) -> Live:
    """Type words, pick a projection and 2-D/3-D; the map and the heatmap follow."""
    import ipywidgets as widgets

    controls = {
        "words": widgets.Text(
            value=words, description="Words", continuous_update=False, layout=widgets.Layout(width="55%")
        ),
        "method": widgets.Dropdown(
            options=[("PCA (instant)", "pca"), ("UMAP", "umap"), ("t-SNE", "tsne")],
            value=method,
            layout=widgets.Layout(width="150px"),
        ),
        "dims": widgets.ToggleButtons(
            options=[("2-D", 2), ("3-D", 3)], value=dims, style=widgets.ToggleButtonsStyle(button_width="50px")
        ),
    }

    def draw(words: str, method: str, dims: int) -> list[go.Figure]:
        texts = parse_words(words)
        return [plot_projection(texts, method=method, dims=dims), plot_heatmap(texts)]

    note = (
        "Type words separated by commas and press Enter. PCA updates instantly; UMAP and t-SNE take a "
        "moment the first time (every result is cached on disk)."
    )
    return Live(controls, draw, note)

"""The results site's charts, drawn as inline SVG from the numbers they show
(tools/results_site.py): readable without JavaScript, each with a <title>
and <desc> for screen readers and a <title> on every bar, so hovering a bar
or reading the page aloud gives its exact figure. The page puts the same
numbers in a table beside each chart.

Python 3 standard library only.
"""

import math
from html import escape

WIDTH = 860
LABEL_WIDTH = 300
# Longer labels are cut with an ellipsis; the bar's <title> and the table keep them whole.
LABEL_CHARACTERS = 46
VALUE_WIDTH = 90
PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_WIDTH
BAR = 12
ROW_GAP = 10
AXIS_HEIGHT = 34
SERIES_COLOURS = ("#2f6ea5", "#c9762b", "#6b8e23", "#8e44ad")


class Scale:
    """Maps a value to a distance along the plot. Logarithmic when the values
    span decades (latencies from 1 us to 5 ms), so the short bars stay
    visible; the axis says which."""

    def __init__(self, values, log):
        positive = [v for v in values if v > 0] or [1]
        self.log = log
        if log:
            self.low = 10 ** math.floor(math.log10(min(positive)))
            self.high = 10 ** math.ceil(math.log10(max(positive)))
            if self.high <= self.low:
                self.high = self.low * 10
        else:
            self.low = 0
            self.high = nice_ceiling(max(positive))

    def x(self, value):
        if self.log:
            value = max(value, self.low)
            fraction = math.log10(value / self.low) / math.log10(self.high / self.low)
        else:
            fraction = value / self.high
        return round(LABEL_WIDTH + min(max(fraction, 0), 1) * PLOT_WIDTH, 1)

    def ticks(self):
        if self.log:
            decades = round(math.log10(self.high / self.low))
            return [self.low * 10**k for k in range(decades + 1)]
        step = self.high / 4
        return [step * k for k in range(5)]


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= value."""
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def svg_open(chart_id, title, description, height):
    return (
        f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def shortened(label):
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "\u2026"


def text(x, y, content, anchor="start", css=""):
    css_attribute = f' class="{css}"' if css else ""
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}"{css_attribute}>{escape(content)}</text>'


def axis(scale, top, bottom, format_value):
    parts = []
    for tick in scale.ticks():
        x = scale.x(tick)
        parts.append(f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"/>')
        parts.append(text(x, bottom + 14, format_value(tick), "middle", "tick"))
    caption = "logarithmic scale" if scale.log else "linear scale"
    parts.append(text(LABEL_WIDTH + PLOT_WIDTH / 2, bottom + 29, caption, "middle", "tick"))
    return parts


def legend(names, colours, y, goal=False):
    parts, x = [], LABEL_WIDTH
    for name, colour in zip(names, colours):
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(text(x + 14, y, name))
        x += 24 + 7 * len(name)
    if goal:
        parts.append(f'<line class="goal" x1="{x}" y1="{y - 10}" x2="{x}" y2="{y + 2}"/>')
        parts.append(text(x + 6, y, "goal"))
    return parts


def bars(chart_id, title, description, series, rows, format_value, log=False):
    """Horizontal bars, one group per row, one bar per series.

    rows: (label, values, goal) with values one per series (None: not
    measured) and goal a value drawn as a dashed line across the group, or
    None."""
    values = [v for _, row_values, _ in rows for v in row_values if v is not None]
    values += [goal for _, _, goal in rows if goal is not None]
    scale = Scale(values, log)
    group = len(series) * BAR + ROW_GAP
    top = 26
    bottom = top + group * len(rows)
    parts = [svg_open(chart_id, title, description, bottom + AXIS_HEIGHT + 6)]
    parts += legend(series, SERIES_COLOURS, 14, any(goal is not None for _, _, goal in rows))
    parts += axis(scale, top, bottom, format_value)
    for index, (label, row_values, goal) in enumerate(rows):
        y = top + index * group
        parts.append(text(LABEL_WIDTH - 6, y + len(series) * BAR / 2 + 4, shortened(label), "end"))
        for offset, (name, value, colour) in enumerate(zip(series, row_values, SERIES_COLOURS)):
            if value is None:
                continue
            bar_y = y + offset * BAR
            end = scale.x(value)
            figure = format_value(value)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{max(end - LABEL_WIDTH, 1)}" height="{BAR - 2}" '
                f'fill="{colour}"><title>{escape(f"{label}, {name}: {figure}")}</title></rect>'
            )
            past_goal = scale.x(goal) if goal is not None else 0
            parts.append(text(max(end, past_goal) + 4, bar_y + BAR - 3, figure, css="value"))
        if goal is not None:
            x = scale.x(goal)
            parts.append(
                f'<line class="goal" x1="{x}" y1="{y - 3}" x2="{x}" y2="{y + len(series) * BAR + 1}">'
                f"<title>{escape(f'{label}, goal: {format_value(goal)}')}</title></line>"
            )
    parts.append("</svg>")
    return "".join(parts)


def stacked(chart_id, title, description, parts_named, rows):
    """One horizontal bar per row, split into parts (name, colour) whose
    lengths are the row's counts: rows are (label, counts)."""
    total = max((sum(counts) for _, counts in rows), default=1) or 1
    top = 26
    step = BAR + ROW_GAP
    bottom = top + step * len(rows)
    names = [name for name, _ in parts_named]
    colours = [colour for _, colour in parts_named]
    scale = Scale([total], log=False)
    out = [svg_open(chart_id, title, description, bottom + AXIS_HEIGHT + 6)]
    out += legend(names, colours, 14)
    out += axis(scale, top, bottom, lambda v: f"{v:g}")
    for index, (label, counts) in enumerate(rows):
        y = top + index * step
        out.append(text(LABEL_WIDTH - 6, y + BAR - 3, shortened(label), "end"))
        start = 0
        for name, colour, count in zip(names, colours, counts):
            if count:
                x0, x1 = scale.x(start), scale.x(start + count)
                out.append(
                    f'<rect x="{x0}" y="{y}" width="{round(x1 - x0, 1)}" height="{BAR}" fill="{colour}">'
                    f"<title>{escape(f'{label}: {count} {name}')}</title></rect>"
                )
            start += count
        summary = " / ".join(str(c) for c in counts)
        out.append(text(scale.x(start) + 4, y + BAR - 3, summary, css="value"))
    out.append("</svg>")
    return "".join(out)

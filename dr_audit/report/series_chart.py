"""A measured series drawn against its threshold, as numbers for an inline SVG (no script, no network).

In: a resource check's ``series`` (``dr_audit.measured.picture``: points, threshold, op,
window start and end). Out: the polyline, the threshold line, the points that break the
threshold and the axis labels, in SVG user units, for the report template.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

#: chart geometry in SVG user units
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 360, 124, 30, 6, 10, 22
#: at most this many out-of-threshold points are marked (a long breach is one red stretch anyway)
MAX_MARKS = 60

#: a point breaks the row when this is true of (value, threshold)
_BREAKS = {"lte": lambda v, t: v > t, "lt": lambda v, t: v >= t,
           "gte": lambda v, t: v < t, "gt": lambda v, t: v <= t}


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def _label(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:.3g}"


def series_chart(series: dict[str, Any]) -> dict[str, Any]:
    """Drawing data for one series; ``empty`` is true when the window held no datapoint."""
    points = [(float(_seconds(t)), float(v)) for t, v in series.get("points") or []]
    threshold = series.get("threshold")
    start, end = _seconds(series["start"]), _seconds(series["end"])
    values = [v for _, v in points] + ([float(threshold)] if isinstance(threshold, (int, float)) else [])
    low = min([0.0] + values)
    high = max(values + [1.0]) * 1.1
    span_x, span_y = max(end - start, 1.0), max(high - low, 1e-9)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: float) -> float:
        return round(LEFT + (moment - start) / span_x * plot_w, 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / span_y * plot_h, 1)

    breaks = _BREAKS.get(series.get("op"), lambda v, t: False)
    marks = [{"x": x(t), "y": y(v), "value": _label(v),
              "at": datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
             for t, v in points if isinstance(threshold, (int, float)) and breaks(v, threshold)]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": HEIGHT - BOTTOM, "empty": not points,
        "line": " ".join(f"{x(t)},{y(v)}" for t, v in points),
        "threshold_y": y(float(threshold)) if isinstance(threshold, (int, float)) else None,
        "threshold": _label(threshold) if isinstance(threshold, (int, float)) else None,
        "marks": marks[:MAX_MARKS], "breaks": len(marks),
        "high": _label(high / 1.1), "high_y": y(high / 1.1), "low": _label(low), "low_y": y(low),
        "start": series["start"].replace("T", " ")[:16], "end": series["end"].replace("T", " ")[:16],
        "title": (f"{series.get('metric')} {series.get('statistic')} per {series.get('period_seconds', 0) // 60} min "
                  f"over {series.get('window')} ({series.get('unit')}); threshold {series.get('op')} "
                  f"{_label(threshold) if isinstance(threshold, (int, float)) else '?'}"),
    }

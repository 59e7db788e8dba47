"""Reading figures.toml and poses.toml: each exercise's drawing as written by a clinic, checked.

A figure is angles over a base pose (poses.toml ships standing, sitting, lying on the
back, side and belly, and hands and knees). Every problem names its file and line, as
the rest of the library does: an unknown joint, an angle no body makes, a limb pushed
through the floor, a missing end pose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handouts.errors import DataError, suggest
from handouts.library.poses import (
    MOVING_PROPS,
    PARTS,
    POINTS,
    PROPS,
    RESTS,
    VIEWS,
    Arrow,
    Base,
    Prop,
    Spec,
    kept_miss,
    make_figure,
    posed,
    problems_with_angles,
)
from handouts.library.tomlsource import TomlSource, read_toml
from handouts.models import Figure
from handouts.paths import BASE_POSES, DEFAULT_LIBRARY

BASE_KEYS = {"view", "rest", "anchor", "pose", "about"}
FIGURE_KEYS = {"base", "start", "end", "view", "rest", "anchor", "props", "arrow", "lift", "close", "zoom", "mirror", "keep", "parts"}
PROP_KEYS = {"kind", "at", "to", "xy", "dx", "dy", "pose", "size"}
ARROW_KEYS = {"at", "kind", "bend"}
ARROW_KINDS = ("arc", "turn", "both")


def _read(path: Path, problems: list[str]) -> TomlSource | None:
    try:
        return read_toml(path)
    except DataError as e:  # it already says file and line
        problems.append(str(e))
        return None


def read_bases(problems: list[str]) -> dict[str, Base]:
    src = _read(BASE_POSES, problems)
    if src is None:
        return {}
    bases: dict[str, Base] = {}
    for name, table in src.data.items():
        where = (name,)
        if not isinstance(table, dict):
            src.problem(where, f'"{name}" must be a table like [{name}]')
            continue
        _unknown(src, where, table, BASE_KEYS)
        view = _word(src, where, table, "view", VIEWS, "side")
        pose = table.get("pose", {})
        if not isinstance(pose, dict):
            src.problem(where + ("pose",), '"pose" must be a table of joint = angle')
            continue
        for _joint, message in problems_with_angles(pose, view):
            src.problem(where + ("pose",), message)
        bases[name] = Base(
            name,
            view,
            _word(src, where, table, "rest", RESTS, "floor"),
            _point(src, where, table, "anchor", "hip", allow_rest=True),
            {k: float(v) for k, v in pose.items() if isinstance(v, (int, float))},
        )
    problems += src.problems
    return bases


def read_figures(path: Path, known_ids: set[str], problems: list[str]) -> dict[str, Figure]:
    """Every exercise's figure in `path`; problems appended, each with its line."""
    bases = read_bases(problems)
    if not path.is_file():
        return {}
    src = _read(path, problems)
    if src is None:
        return {}
    figures: dict[str, Figure] = {}
    for ex_id, table in src.data.items():
        if ex_id not in known_ids:
            if path.parent == DEFAULT_LIBRARY.resolve() or path.parent == DEFAULT_LIBRARY:
                continue  # a clinic library that dropped a shipped exercise still reads the shipped figures
            src.problem((ex_id,), f'a figure for "{ex_id}", which is not in exercises.toml')
            continue
        before = len(src.problems)
        spec = _spec(src, ex_id, table, bases)
        if spec is None or len(src.problems) > before:
            continue
        start, end = posed(spec)
        floor_note = "the seat" if spec.rest == "seat" else "the floor"
        for label, body in (("start", start), ("end", end)):
            below = body.under(0.0)
            if below:
                src.problem(
                    (ex_id, label),
                    f"in the {label} pose {', '.join(p.replace('_', ' ') for p in below[:3])} go through the floor "
                    f"(check the angles, or rest on {floor_note})",
                )
        for point in kept_miss(spec, start, end):
            src.problem((ex_id, "keep"), f"{point.replace('_', ' ')} cannot stay where it was: no bend of that hip and knee reaches it")
        if start.points == end.points:
            src.problem((ex_id, "end"), "the end pose is the same as the start: give the angles that change")
        if len(src.problems) == before:
            figures[ex_id] = make_figure(spec)
    problems += src.problems
    return figures


def _spec(src: TomlSource, ex_id: str, table: Any, bases: dict[str, Base]) -> Spec | None:
    where = (ex_id,)
    if not isinstance(table, dict):
        src.problem(where, f'"{ex_id}" must be a table like [{ex_id}]')
        return None
    _unknown(src, where, table, FIGURE_KEYS)
    base_name = table.get("base")
    if base_name not in bases:
        src.problem(
            where + ("base",) if "base" in table else where,
            f'"base" must be one of {", ".join(bases)}, got {base_name!r}{suggest(str(base_name), bases)}',
        )
        return None
    base = bases[base_name]
    view = _word(src, where, table, "view", VIEWS, base.view)
    if "end" not in table:
        src.problem(where, 'missing "end": the pose at the end of the movement (the angles that change)')
        return None
    poses = []
    for key in ("start", "end"):
        pose = table.get(key, {})
        if not isinstance(pose, dict):
            src.problem(where + (key,), f'"{key}" must be a table of joint = angle, like {{ knee = 90 }}')
            return None
        for _joint, message in problems_with_angles(pose, view):
            src.problem(where + (key,), message)
        poses.append({k: float(v) for k, v in pose.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    props = tuple(p for p in (_prop(src, where, raw) for raw in _list(src, where, table, "props")) if p)
    raw_arrows = table.get("arrow")
    arrows = tuple(
        a
        for a in (
            _arrow(src, where, raw)
            for raw in (raw_arrows if isinstance(raw_arrows, list) else [raw_arrows] if raw_arrows is not None else [])
        )
        if a
    )
    close_at = _point(src, where, table, "close", "") if "close" in table else ""
    return Spec(
        base=base,
        start=poses[0],
        end=poses[1],
        view=view,
        rest=_word(src, where, table, "rest", RESTS, base.rest),
        anchor=_point(src, where, table, "anchor", base.anchor, allow_rest=True),
        props=props,
        arrows=arrows,
        lift=_number(src, where, table, "lift", 0.0, -3.0, 6.0),
        close=close_at,
        zoom=_number(src, where, table, "zoom", 2.5, 1.0, 6.0),
        mirror=bool(table.get("mirror", False)),
        keep=_keep_points(src, where, table),
        parts=_parts(src, where, table),
    )


def _parts(src: TomlSource, where: tuple[str, ...], table: dict[str, Any]) -> tuple[str, ...]:
    raw = table.get("parts", list(PARTS))
    if not isinstance(raw, list) or not raw or not all(v in PARTS for v in raw):
        src.problem(where + ("parts",), f'"parts" must list some of {", ".join(PARTS)}, got {raw!r}')
        return PARTS
    return tuple(raw)


def _keep_points(src: TomlSource, where: tuple[str, ...], table: dict[str, Any]) -> tuple[str, ...]:
    raw = table.get("keep", [])
    values = [raw] if isinstance(raw, str) else raw
    legs = [p for p in POINTS if p.split("_")[-1] in ("knee", "ankle", "heel", "toe") and "_" in p]
    if not isinstance(values, list) or not all(v in legs for v in values):
        src.problem(where + ("keep",), f'"keep" must list points of the legs ({", ".join(legs)}), got {raw!r}')
        return ()
    return tuple(values)


def _unknown(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            src.problem(where + (key,), f'unknown key "{key}"{suggest(key, sorted(allowed))}; expected one of {", ".join(sorted(allowed))}')


def _word(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in allowed:
        src.problem(where + (key,), f'"{key}" must be one of {", ".join(allowed)}, got {value!r}')
        return default
    return str(value)


def _point(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, default: str, allow_rest: bool = False) -> str:
    value = table.get(key, default)
    if allow_rest and value == "rest":
        return "rest"
    if value not in POINTS:
        hint = suggest(str(value), POINTS)
        src.problem(where + (key,), f'"{key}" = {value!r} is not a point of the body{hint}; points are {", ".join(POINTS)}')
        return default or "hip"
    return str(value)


def _number(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = table.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        src.problem(where + (key,), f'"{key}" must be a number from {low:g} to {high:g}, got {value!r}')
        return default
    return float(value)


def _list(src: TomlSource, where: tuple[str, ...], table: dict[str, Any], key: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        src.problem(where + (key,), f'"{key}" must be a list, like [{{ kind = "chair" }}]')
        return []
    return value


def _prop(src: TomlSource, where: tuple[str, ...], raw: Any) -> Prop | None:
    here = where + ("props",)
    if not isinstance(raw, dict):
        src.problem(here, f'each prop must be a table like {{ kind = "chair" }}, got {raw!r}')
        return None
    _unknown(src, here, raw, PROP_KEYS)
    kind = raw.get("kind")
    if kind not in PROPS:
        src.problem(here, f"prop kind {kind!r} is not one I can draw{suggest(str(kind), PROPS)}; props are {', '.join(PROPS)}")
        return None
    xy = raw.get("xy")
    if xy is not None and not (isinstance(xy, list) and len(xy) == 2 and all(isinstance(v, (int, float)) for v in xy)):
        src.problem(here, f'"xy" must be two numbers [x, y], got {xy!r}')
        return None
    at = _point(src, here, raw, "at", "hip") if "at" in raw or (kind in MOVING_PROPS and xy is None) else ""
    to = _point(src, here, raw, "to", "") if kind == "band" else ""
    if kind == "band" and "to" not in raw:
        src.problem(here, 'a band needs "to": the point it pulls (a hand, an ankle)')
        return None
    pose = raw.get("pose", "start")
    if pose not in ("start", "end"):
        src.problem(here, f'"pose" must be "start" or "end", got {pose!r}')
    return Prop(
        kind=str(kind),
        at=at,
        to=to,
        xy=(float(xy[0]), float(xy[1])) if xy else None,
        dx=_number(src, here, raw, "dx", 0.0, -10, 10),
        dy=_number(src, here, raw, "dy", 0.0, -10, 10),
        pose=str(pose),
        size=_number(src, here, raw, "size", 0.0, 0, 12),
    )


def _arrow(src: TomlSource, where: tuple[str, ...], raw: Any) -> Arrow | None:
    here = where + ("arrow",)
    table = {"at": raw} if isinstance(raw, str) else raw
    if not isinstance(table, dict):
        src.problem(
            here, f'"arrow" must name a point ("near_ankle") or be a table like {{ at = "near_ankle", kind = "both" }}, got {raw!r}'
        )
        return None
    _unknown(src, here, table, ARROW_KEYS)
    kind = _word(src, here, table, "kind", ARROW_KINDS, "arc")
    return Arrow(_point(src, here, table, "at", "hip"), kind, _number(src, here, table, "bend", 0.35, -1.0, 1.0))

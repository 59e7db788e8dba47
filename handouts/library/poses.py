"""Exercise drawings made from poses: joint angles in, a figure's shapes out.

A pose is a handful of joint angles over a base pose (standing, sitting, lying...).
The figure is one plain body of fixed proportions, so every drawing on a sheet looks
like the same person, and a clinic can draw its own exercise by writing angles in
figures.toml instead of drawing anything. No reportlab here: the card, the contact
sheet and the web page each draw the shapes their own way.

Units: a head is about one unit tall; x runs towards the figure's front, y upwards,
the floor is y = 0. Angles are in degrees, measured as a therapist would: 0 is the
joint's neutral, flexion positive. See poses.toml for every joint and its range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from handouts.errors import suggest
from handouts.models import Figure, Shape

# Body proportions, in head units
HEAD_R = 0.5
NECK = 0.3
TRUNK = 2.7
SHOULDER_DROP = 0.25  # the shoulder joint sits this far below the top of the trunk
UPPER_ARM = 1.45
FOREARM = 1.25
HAND = 0.42  # wrist to knuckles...
FINGERS = 0.38  # ...and on to the finger tips
THIGH = 2.0
SHIN = 1.95
ANKLE_H = 0.3  # the ankle above the sole
HEEL = 0.28
TOE = 0.78
FRONT_FOOT_MIN, FRONT_FOOT = 0.22, 0.6  # seen from the front a foot is short, longer as it turns
HIP_W = 0.42  # seen from the front: each hip joint this far from the middle...
SHOULDER_W = 0.78  # ...and each shoulder
SHRUG_RISE = 0.4  # a full shrug (30) lifts the shoulders this far towards the ears
BACK_BOW = 0.55  # the trunk's middle moves this far out when the back rounds by 90 degrees
# Thickness of each part (the stroke's width)
TRUNK_W, FRONT_TRUNK_W = 1.05, 1.35
NECK_W = 0.42
THIGH_W, SHIN_W, FOOT_W = 0.58, 0.46, 0.3
UPPER_ARM_W, FOREARM_W, HAND_W = 0.42, 0.36, 0.3
# The surroundings
SEAT_CLEAR = THIGH_W / 2  # the hip joint above the seat
SEAT_H = SHIN + ANKLE_H + FOOT_W / 2 - SEAT_CLEAR  # a chair seat: the feet flat with the knees at a right angle
MAT_H = 0.18
PROP_W = 0.12  # outline of a chair, a counter, the floor
BAND_W = 0.16
ARROW_W = 0.14
ARROW_HEAD = 0.5
ARROW_CLEAR = 0.55  # an arrow keeps this far off the limb it follows
BOX_PAD = 0.35
EYE_R, EYE_GAP = 0.07, 0.2
CLOSE_UP_SIZE = 4.5  # a whole figure is about this many units either side of its middle
FLOOR_TOLERANCE = 0.12  # how far a part may dip under the floor before `check` says it goes through

SIDES = ("near", "far")
BODY_JOINTS = ("trunk", "back", "neck", "head", "turn", "lap", "shrug")
SIDE_JOINTS = ("hip", "knee", "ankle", "shoulder", "elbow", "wrist", "fingers")
# Human ranges, as a drawing may use them: (side view, front view). The front view's knee and
# elbow bend in the picture's plane, which is how a clamshell or an arm turned out is drawn.
RANGES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "trunk": ((-130, 130), (-100, 100)),
    "back": ((-40, 60), (-30, 30)),
    "neck": ((-50, 70), (-50, 50)),
    "head": ((-40, 50), (-40, 40)),
    "turn": ((0, 0), (-80, 80)),
    "lap": ((0, 0), (0, 90)),
    "shrug": ((0, 30), (0, 30)),
    "hip": ((-45, 140), (-60, 60)),
    "knee": ((0, 160), (-110, 160)),
    "ankle": ((-40, 60), (-40, 60)),
    "shoulder": ((-70, 190), (-110, 190)),
    "elbow": ((0, 155), (-155, 155)),
    "wrist": ((-85, 85), (-85, 85)),
    "fingers": ((-10, 110), (-10, 110)),
}
JOINT_NAMES = BODY_JOINTS + SIDE_JOINTS + tuple(f"{s}_{j}" for s in SIDES for j in SIDE_JOINTS)
POINTS = ("hip", "back", "neck", "head", "chin") + tuple(
    f"{s}_{p}" for s in SIDES for p in ("hip", "knee", "ankle", "heel", "toe", "shoulder", "elbow", "wrist", "knuckles", "hand")
)
PROPS = ("chair", "wall", "door", "counter", "table", "step", "plate", "pillow", "mat", "towel", "ball", "weight", "band", "stick")
MOVING_PROPS = ("ball", "weight", "band", "stick")  # held or tied to the body: drawn in both poses
VIEWS = ("side", "front")
PARTS = ("trunk", "near_arm", "far_arm", "near_leg", "far_leg")
RESTS = ("floor", "seat")

Point = tuple[float, float]


def _dir(angle: float) -> Point:
    """A unit vector: 0 degrees points down, 90 towards the figure's front, 180 up."""
    r = math.radians(angle)
    return (math.sin(r), -math.cos(r))


def _at(p: Point, angle: float, length: float) -> Point:
    d = _dir(angle)
    return (p[0] + d[0] * length, p[1] + d[1] * length)


@dataclass(frozen=True)
class Body:
    """A pose placed: every named point, and the strokes that draw the body through them."""

    points: dict[str, Point]
    strokes: list[tuple[str, tuple[str, ...], float]]  # (which part, the points, width)
    head_r: float = HEAD_R

    def moved(self, dx: float, dy: float) -> Body:
        return Body({k: (x + dx, y + dy) for k, (x, y) in self.points.items()}, self.strokes, self.head_r)

    def lowest(self) -> float:
        """The bottom edge of the lowest part, with its thickness."""
        edge = self.points["head"][1] - self.head_r
        for _side, names, width in self.strokes:
            for name in names:
                edge = min(edge, self.points[name][1] - width / 2)
        return edge

    def under(self, floor: float) -> list[str]:
        """Points whose part dips through the floor."""
        below = []
        for _side, names, width in self.strokes:
            for name in names:
                if self.points[name][1] - width / 2 < floor - FLOOR_TOLERANCE and name not in below:
                    below.append(name)
        return below


def angle_of(pose: dict[str, float], side: str, joint: str) -> float:
    return pose.get(f"{side}_{joint}", pose.get(joint, 0.0))


def place(pose: dict[str, float], view: str) -> Body:
    """Forward kinematics from the hip: the trunk, then the head, then each arm and leg."""
    front = view == "front"
    t = pose.get("trunk", 0.0)
    up = 180 - t  # the trunk's direction, hip to neck
    hip: Point = (0.0, 0.0)
    neck = _at(hip, up, TRUNK)
    neck_dir = up - pose.get("neck", 0.0)
    head_base = _at(neck, neck_dir, NECK)
    head_dir = neck_dir - pose.get("head", 0.0)
    head = _at(head_base, head_dir, HEAD_R)
    if front:  # facing us the chin is under the head's middle, moving sideways as the face turns
        chin = _at(head, head_dir - 90, HEAD_R * math.sin(math.radians(pose.get("turn", 0.0))))
    else:
        chin = _at(head, head_dir - 90, HEAD_R)
    # a rounded (+) or arched (-) back bows the trunk's middle out behind or in front
    bow = pose.get("back", 0.0) / 90 * BACK_BOW
    middle = _at(_at(hip, up, TRUNK / 2), up + 90, bow)
    points: dict[str, Point] = {"hip": hip, "neck": neck, "head": head, "chin": chin, "back": middle}
    strokes: list[tuple[str, tuple[str, ...], float]] = []
    for side in SIDES:
        m = -1.0 if front and side == "near" else 1.0  # seen from the front the near side is mirrored
        spread = _dir(up - 90)  # towards the picture's right, across the trunk
        s_hip = (hip[0] + spread[0] * HIP_W * m, hip[1] + spread[1] * HIP_W * m) if front else hip
        shoulder_top = _at(neck, up, -SHOULDER_DROP + SHRUG_RISE * pose.get("shrug", 0.0) / 30)
        s_shoulder = (shoulder_top[0] + spread[0] * SHOULDER_W * m, shoulder_top[1] + spread[1] * SHOULDER_W * m) if front else shoulder_top
        a = {j: angle_of(pose, side, j) * m for j in SIDE_JOINTS}
        thigh = -t + a["hip"]
        shin = thigh - a["knee"]
        # seen from the front, a sitting person's thighs point at us and look short
        knee = _at(s_hip, thigh, THIGH * math.cos(math.radians(pose.get("lap", 0.0))) if front else THIGH)
        ankle = _at(knee, shin, SHIN)
        if front:  # the foot points at us: short, longer as the ankle turns it in (+) or out (-)
            turn = angle_of(pose, side, "ankle")
            foot = shin + (-90 if turn > 0 else 90) * m
            heel = _at(ankle, shin, ANKLE_H * 0.6)
            toe = _at(heel, foot, FRONT_FOOT_MIN + FRONT_FOOT * abs(math.sin(math.radians(turn))))
        else:
            foot = shin + 90 - a["ankle"]
            sole = _at(ankle, foot - 90, ANKLE_H)
            heel, toe = _at(sole, foot, -HEEL), _at(sole, foot, TOE)
        upper = -t + a["shoulder"]
        fore = upper + a["elbow"]
        hand = fore + a["wrist"]
        elbow = _at(s_shoulder, upper, UPPER_ARM)
        wrist = _at(elbow, fore, FOREARM)
        knuckles = _at(wrist, hand, HAND)
        tips = _at(knuckles, hand + a["fingers"], FINGERS)
        points.update(
            {
                f"{side}_hip": s_hip,
                f"{side}_knee": knee,
                f"{side}_ankle": ankle,
                f"{side}_heel": heel,
                f"{side}_toe": toe,
                f"{side}_shoulder": s_shoulder,
                f"{side}_elbow": elbow,
                f"{side}_wrist": wrist,
                f"{side}_knuckles": knuckles,
                f"{side}_hand": tips,
            }
        )
        p = f"{side}_"
        leg, arm = f"{side}_leg", f"{side}_arm"
        strokes += [
            (leg, (p + "hip", p + "knee"), THIGH_W),
            (leg, (p + "knee", p + "ankle"), SHIN_W),
            (leg, (p + "ankle", p + "heel", p + "toe") if not front else (p + "ankle", p + "toe"), FOOT_W),
            (arm, (p + "shoulder", p + "elbow"), UPPER_ARM_W),
            (arm, (p + "elbow", p + "wrist"), FOREARM_W),
            (arm, (p + "wrist", p + "knuckles", p + "hand"), HAND_W),
        ]
    if front:
        strokes.append(("trunk", ("near_hip", "far_hip"), THIGH_W))
        strokes.append(("trunk", ("near_shoulder", "far_shoulder"), UPPER_ARM_W + 0.1))
    strokes.append(("trunk", ("hip", "back", "neck"), FRONT_TRUNK_W if front else TRUNK_W))
    points["head_base"] = head_base
    strokes.append(("trunk", ("neck", "head_base"), NECK_W))
    return Body(points, strokes)


# --- the figure's description, as read from figures.toml ------------------------------------


@dataclass(frozen=True)
class Base:
    """A documented starting position (poses.toml): every figure begins from one."""

    name: str
    view: str
    rest: str
    anchor: str
    pose: dict[str, float]


@dataclass(frozen=True)
class Prop:
    kind: str
    at: str = ""  # a named point the prop is placed by
    to: str = ""  # a band's other end
    xy: Point | None = None  # a fixed place instead of a point
    dx: float = 0.0
    dy: float = 0.0
    pose: str = "start"  # which pose places a prop that stays put
    size: float = 0.0  # a wall's or counter's reach, a step's height: 0 for the kind's own


@dataclass(frozen=True)
class Arrow:
    at: str
    kind: str = "arc"  # "arc" from the start to the end; "turn" round and round; "both" back and forth
    bend: float = 0.35  # how much the arc bows away from the body, as a share of its length


@dataclass(frozen=True)
class Spec:
    """One exercise's drawing as written: a base, the start and end angles, props and an arrow."""

    base: Base
    start: dict[str, float]
    end: dict[str, float]
    view: str
    rest: str
    anchor: str
    props: tuple[Prop, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    lift: float = 0.0
    close: str = ""  # a close-up around this point...
    zoom: float = 0.0  # ...this many units either side of it
    mirror: bool = False
    keep: tuple[str, ...] = ()  # points of the legs that stay planted: the hips and knees bend to keep them
    parts: tuple[str, ...] = PARTS  # a close-up of a hand or a foot may show that limb alone


def joints_in(pose: dict[str, float]) -> Iterator[str]:
    yield from pose


def problems_with_angles(pose: dict[str, Any], view: str) -> list[tuple[str, str]]:
    """(joint, message) for every unknown joint or angle outside a human range."""
    found = []
    column = VIEWS.index(view) if view in VIEWS else 0
    for joint, value in pose.items():
        if joint not in JOINT_NAMES:
            hint = suggest(joint, JOINT_NAMES)
            found.append(
                (
                    joint,
                    f'unknown joint "{joint}"{hint}; joints are {", ".join(BODY_JOINTS + SIDE_JOINTS)}, '
                    "each arm and leg part also as near_... or far_...",
                )
            )
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            found.append((joint, f'"{joint}" must be an angle in degrees, got {value!r}'))
            continue
        plain = joint.split("_", 1)[1] if joint.startswith(("near_", "far_")) else joint
        low, high = RANGES[plain][column]
        if not low <= value <= high:
            found.append((joint, f'"{joint}" = {value} is outside a human range in the {view} view ({low} to {high} degrees)'))
    return found


# --- from a spec to shapes ---------------------------------------------------------------------


def posed(spec: Spec) -> tuple[Body, Body]:
    """The start and end bodies placed in the room: the start rests on the floor or the seat,
    the end keeps the anchor point (a planted foot, the hips) where the start had it."""
    floor = MAT_H if any(p.kind == "mat" for p in spec.props) else 0.0
    start_pose = {**spec.base.pose, **spec.start}
    end_pose = {**start_pose, **spec.end}
    start = place(start_pose, spec.view)
    if spec.rest == "seat":
        start = start.moved(0, SEAT_H + SEAT_CLEAR + spec.lift)
    else:
        start = start.moved(0, floor - start.lowest() + spec.lift)

    def end_of(pose: dict[str, float]) -> Body:
        end = place(pose, spec.view)
        if spec.anchor == "rest":
            return end.moved(0, floor - end.lowest())
        sx, sy = start.points[spec.anchor]
        ex, ey = end.points[spec.anchor]
        return end.moved(sx - ex, sy - ey)

    if spec.keep:
        end_pose = _keep(end_pose, spec, start, end_of)
    return start, end_of(end_pose)


def _keep(pose: dict[str, float], spec: Spec, start: Body, end_of: Any) -> dict[str, float]:
    """Bend the hip and knee of each leg with a planted point until the point is back where it
    was at the start: a pattern search, a few hundred placings at most."""
    column = VIEWS.index(spec.view)
    joints = [f"{p.split('_')[0]}_{j}" for p in spec.keep for j in ("hip", "knee")]
    pose = dict(pose)
    for joint in joints:
        pose[joint] = angle_of(pose, *joint.split("_", 1))

    def miss(candidate: dict[str, float]) -> float:
        body = end_of(candidate)
        return sum(math.dist(body.points[p], start.points[p]) for p in spec.keep)

    best = miss(pose)
    step = 16.0
    while step > 0.25 and best > 0.005:
        improved = False
        for joint in joints:
            low, high = RANGES[joint.split("_", 1)[1]][column]
            for delta in (step, -step):
                trial = dict(pose)
                trial[joint] = min(high, max(low, pose[joint] + delta))
                score = miss(trial)
                if score < best - 1e-9:
                    pose, best, improved = trial, score, True
        if not improved:
            step /= 2
    return pose


def kept_miss(spec: Spec, start: Body, end: Body) -> list[str]:
    """The planted points that could not be kept (for `check`)."""
    return [p for p in spec.keep if math.dist(start.points[p], end.points[p]) > FLOOR_TOLERANCE]


def make_figure(spec: Spec) -> Figure:
    start, end = posed(spec)
    shapes: list[Shape] = []
    fixed = [p for p in spec.props if p.kind not in MOVING_PROPS]
    body_box = _extent([start, end])
    for prop in fixed:
        shapes += _prop(prop, start if prop.pose == "start" else end, "prop", body_box)
    shapes.append(Shape("line", ((body_box[0] - 1.2, 0.0), (body_box[2] + 1.2, 0.0)), PROP_W, "floor"))
    for body, light in ((start, True), (end, False)):
        shapes += _body_shapes(body, spec.view, light, spec.parts)
        for prop in spec.props:
            if prop.kind in MOVING_PROPS:
                held = _prop(prop, body, "start" if light else "prop", body_box)
                if spec.close and prop.kind == "band":  # a band stays a band's width on paper in a close-up
                    held = [s._replace(width=s.width * min(1.0, spec.zoom / CLOSE_UP_SIZE)) for s in held]
                shapes += held
    # in a close-up the arrow is drawn smaller, so it stays the same size on paper
    size = min(1.0, spec.zoom / CLOSE_UP_SIZE) if spec.close else 1.0
    for arrow in spec.arrows:
        shapes += _arrow(arrow, start, end, size)
    if spec.mirror:
        shapes = [s._replace(points=tuple((-x, y) for x, y in s.points)) for s in shapes]
    box = _shapes_box(shapes)
    if spec.close:
        cx, cy = end.points[spec.close]
        sx, sy = start.points[spec.close]
        cx, cy = (cx + sx) / 2 * (-1 if spec.mirror else 1), (cy + sy) / 2
        box = (cx - spec.zoom, max(box[1], cy - spec.zoom), cx + spec.zoom, cy + spec.zoom)
    flip = -1 if spec.mirror else 1
    return Figure(
        shapes=tuple((s.kind, s.tone, s.width, tuple(round(c, 3) for p in s.points for c in p)) for s in shapes),
        box=box,
        start=tuple((k, round(flip * x, 4), round(y, 4)) for k, (x, y) in start.points.items()),
        end=tuple((k, round(flip * x, 4), round(y, 4)) for k, (x, y) in end.points.items()),
        base=spec.base.name,
        close_up=bool(spec.close),
    )


def _body_shapes(body: Body, view: str, light: bool, parts: tuple[str, ...] = PARTS) -> list[Shape]:
    """Far limbs first and paler, then the trunk and head, then the near limbs on top."""
    tone = "start" if light else "body"
    far = "start-far" if light else "far"
    order = ("far", "trunk", "near") if view == "side" else ("trunk", "near", "far")
    shapes = []
    for group in order:
        for part, names, width in body.strokes:
            if part.split("_")[0] == group and part in parts:
                shapes.append(
                    Shape("line", tuple(body.points[n] for n in names), width, far if group == "far" and view == "side" else tone)
                )
        if group == "trunk" and "trunk" in parts:
            shapes.append(Shape("disc", (body.points["head"],), body.head_r, tone))
            if view == "side":
                shapes.append(_nose(body, tone))
            elif math.dist(body.points["chin"], body.points["head"]) > 0.05:
                shapes += _eyes(body)
    return shapes


def _eyes(body: Body) -> list[Shape]:
    """Seen from the front, a turned face shows by where its eyes are."""
    hx, hy = body.points["head"]
    cx, cy = body.points["chin"]
    across = (cx - hx, cy - hy)  # sideways, as far as the face has turned
    n = math.hypot(*across)
    ux, uy = across[0] / n, across[1] / n
    shift = n * 0.55
    return [
        Shape("disc", ((hx + ux * (shift + side * EYE_GAP) - uy * 0.08, hy + uy * (shift + side * EYE_GAP) + ux * 0.08),), EYE_R, "face")
        for side in (-1, 1)
    ]


def _nose(body: Body, tone: str) -> Shape:
    """A small bump on the face side, so the way the head faces is never in doubt."""
    hx, hy = body.points["head"]
    cx, cy = body.points["chin"]
    n = math.dist((hx, hy), (cx, cy))
    dx, dy = (cx - hx) / n, (cy - hy) / n
    tip = (hx + dx * (HEAD_R + 0.16), hy + dy * (HEAD_R + 0.16))
    side = (-dy * 0.2, dx * 0.2)
    return Shape(
        "poly",
        (
            (hx + dx * HEAD_R * 0.8 + side[0], hy + dy * HEAD_R * 0.8 + side[1]),
            tip,
            (hx + dx * HEAD_R * 0.8 - side[0], hy + dy * HEAD_R * 0.8 - side[1]),
        ),
        0.0,
        tone,
    )


def _extent(bodies: list[Body]) -> tuple[float, float, float, float]:
    xs = [x for b in bodies for x, _ in b.points.values()]
    ys = [y for b in bodies for _, y in b.points.values()]
    return (min(xs), min(ys), max(xs), max(ys))


def _shapes_box(shapes: list[Shape]) -> tuple[float, float, float, float]:
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for s in shapes:
        r = s.width / 2 if s.kind == "line" else s.width
        for x, y in s.points:
            x0, y0, x1, y1 = min(x0, x - r), min(y0, y - r), max(x1, x + r), max(y1, y + r)
    return (x0 - BOX_PAD, min(y0, 0.0) - BOX_PAD, x1 + BOX_PAD, y1 + BOX_PAD)


def _rect(x0: float, y0: float, x1: float, y1: float) -> tuple[Point, ...]:
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))


class Spot(NamedTuple):
    """Where a prop goes: the point it is placed by, which way is away from the body, and more."""

    x: float
    y: float
    away: float  # 1 when the prop is in front of the hips, -1 behind
    top: float  # a wall's top when it has no size of its own
    extent: tuple[float, float, float, float]  # the bodies' points, for a mat under all of them
    tone: str  # a held prop takes its pose's tone
    prop: Prop
    body: Body


def _prop(prop: Prop, body: Body, tone: str, extent: tuple[float, float, float, float]) -> list[Shape]:
    """Each prop drawn simply, in outline over a pale fill, placed by the point it names."""
    ax, ay = prop.xy if prop.xy is not None else body.points[prop.at or "hip"]
    x, y = ax + prop.dx, ay + prop.dy
    away = 1.0 if x >= body.points["hip"][0] else -1.0
    return _DRAWERS[prop.kind](Spot(x, y, away, max(extent[3] + 0.6, 8.0), extent, tone, prop, body))


def _chair(s: Spot) -> list[Shape]:
    seat, back, front = s.y - SEAT_CLEAR, s.x - 0.75 * s.away, s.x + 1.5 * s.away
    return [
        Shape("poly", _rect(min(back, front), seat - 0.22, max(back, front), seat), 0.0, "prop-fill"),
        Shape("line", ((back, seat), (front, seat)), PROP_W * 1.6, "prop"),
        Shape("line", ((back, seat), (back, seat + 2.3)), PROP_W * 1.6, "prop"),
        Shape("line", ((back + 0.1 * s.away, seat), (back + 0.1 * s.away, 0.0)), PROP_W, "prop"),
        Shape("line", ((front - 0.1 * s.away, seat), (front - 0.1 * s.away, 0.0)), PROP_W, "prop"),
    ]


def _wall(s: Spot, thick: float = 0.45) -> list[Shape]:
    reach = s.prop.size or s.top
    x0, x1 = sorted((s.x, s.x + thick * s.away))
    return [Shape("poly", _rect(x0, 0.0, x1, reach), 0.0, "prop-fill"), Shape("line", ((s.x, 0.0), (s.x, reach)), PROP_W, "prop")]


def _door(s: Spot) -> list[Shape]:
    """A door frame's jamb: a wall's edge with its other face and its top drawn too."""
    thick = 0.6
    reach = s.prop.size or s.top
    x0, x1 = sorted((s.x, s.x + thick * s.away))
    return [
        *_wall(s, thick),
        Shape("line", ((x0, reach), (x1, reach)), PROP_W, "prop"),
        Shape("line", ((s.x + thick * s.away, 0.0), (s.x + thick * s.away, reach)), PROP_W, "prop"),
    ]


def _counter(s: Spot) -> list[Shape]:
    x0, x1 = sorted((s.x, s.x + (s.prop.size or 2.0) * s.away))
    return [
        Shape("poly", _rect(x0, 0.0, x1, s.y), 0.0, "prop-fill"),
        Shape("line", ((x0 - 0.15, s.y), (x1 + 0.15, s.y)), PROP_W * 2, "prop"),
        Shape("line", ((s.x, s.y), (s.x, 0.0)), PROP_W, "prop"),
    ]


def _table(s: Spot) -> list[Shape]:
    x0, x1 = sorted((s.x - 0.4 * s.away, s.x + (s.prop.size or 2.6) * s.away))
    return [
        Shape("line", ((x0, s.y), (x1, s.y)), PROP_W * 2.2, "prop"),
        Shape("line", ((x1 - 0.2, s.y), (x1 - 0.2, 0.0)), PROP_W, "prop"),
        Shape("line", ((x0 + 0.2, s.y), (x0 + 0.2, 0.0)), PROP_W, "prop"),
    ]


def _step(s: Spot) -> list[Shape]:
    half, top = (s.prop.size or 2.4) / 2, s.y - FOOT_W / 2
    outline = _rect(s.x - half, 0.0, s.x + half, top)
    return [Shape("poly", outline, 0.0, "prop-fill"), Shape("line", outline, PROP_W, "prop")]


def _plate(s: Spot) -> list[Shape]:
    top = s.y - FOOT_W / 2
    return [Shape("poly", _rect(s.x - 0.6, top - 0.22, s.x + 0.6, top), 0.0, "prop")]


def _pillow(s: Spot) -> list[Shape]:
    y = s.y - HEAD_R - 0.12
    return [Shape("line", ((s.x - 0.55, y), (s.x + 0.55, y)), 0.42, "prop-fill")]


def _mat(s: Spot) -> list[Shape]:
    return [Shape("poly", _rect(s.extent[0] - 0.8, 0.0, s.extent[2] + 0.8, MAT_H), 0.0, "prop-fill")]


def _towel(s: Spot) -> list[Shape]:
    roll = ((s.x - 0.4, s.y), (s.x + 0.4, s.y))
    return [Shape("line", roll, 0.5, "prop-fill"), Shape("line", roll, 0.08, "prop")]


def _ball(s: Spot) -> list[Shape]:
    return [Shape("disc", ((s.x, s.y),), s.prop.size or 0.36, s.tone if s.tone == "start" else "prop")]


def _weight(s: Spot) -> list[Shape]:
    x, y = s.x, s.y
    return [
        Shape("line", ((x, y - 0.3), (x, y + 0.3)), 0.12, s.tone),
        Shape("line", ((x, y - 0.34), (x, y - 0.2)), 0.34, s.tone),
        Shape("line", ((x, y + 0.2), (x, y + 0.34)), 0.34, s.tone),
    ]


def _stick(s: Spot) -> list[Shape]:
    half = (s.prop.size or 4.0) / 2
    return [Shape("line", ((s.x - 0.25 * half, s.y - half), (s.x + 0.25 * half, s.y + half)), 0.16, s.tone)]


def _band(s: Spot) -> list[Shape]:
    """Tied at one end (the knot), held or looped at the other."""
    knot = (s.x, s.y)
    shapes = [Shape("line", (knot, s.body.points[s.prop.to]), BAND_W, "start-band" if s.tone == "start" else "band")]
    if s.tone != "start":
        shapes.append(Shape("disc", (knot,), 0.2, "band"))
    return shapes


_DRAWERS: dict[str, Callable[[Spot], list[Shape]]] = {
    "chair": _chair,
    "wall": _wall,
    "door": _door,
    "counter": _counter,
    "table": _table,
    "step": _step,
    "plate": _plate,
    "pillow": _pillow,
    "mat": _mat,
    "towel": _towel,
    "ball": _ball,
    "weight": _weight,
    "stick": _stick,
    "band": _band,
}


def _arrow(arrow: Arrow, start: Body, end: Body, size: float = 1.0) -> list[Shape]:
    """A curved arrow beside the moving point's path, bowed away from the body's middle."""
    if arrow.kind == "turn":
        cx, cy = end.points[arrow.at]
        r = 0.75 * size
        arc = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in range(40, 360, 20)]
        return [Shape("line", tuple(arc), ARROW_W * size, "arrow"), _head(arc[-2], arc[-1], size)]
    (x0, y0), (x1, y1) = start.points[arrow.at], end.points[arrow.at]
    length = math.hypot(x1 - x0, y1 - y0)
    if length < 1e-6:
        return []
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    middle = _centre(start)
    if (mx - middle[0]) * nx + (my - middle[1]) * ny < 0:
        nx, ny = -nx, -ny  # bow outwards, away from the body
    off = ARROW_CLEAR * size
    a = (x0 + nx * off, y0 + ny * off)
    b = (x1 + nx * off, y1 + ny * off)
    c = (mx + nx * (off + arrow.bend * length), my + ny * (off + arrow.bend * length))
    curve = [_bezier(a, c, b, i / 12) for i in range(2, 11)]  # shortened at both ends
    shapes = [Shape("line", tuple(curve), ARROW_W * size, "arrow"), _head(curve[-2], curve[-1], size)]
    if arrow.kind == "both":
        shapes.append(_head(curve[1], curve[0], size))
    return shapes


def _centre(body: Body) -> Point:
    xs = [x for x, _ in body.points.values()]
    ys = [y for _, y in body.points.values()]
    return (sum(xs) / len(xs), sum(ys) / len(ys))


def _bezier(a: Point, c: Point, b: Point, t: float) -> Point:
    u = 1 - t
    return (u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1])


def _head(before: Point, tip: Point, size: float = 1.0) -> Shape:
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    n = math.hypot(dx, dy) or 1.0
    dx, dy = dx / n, dy / n
    back = (tip[0] - dx * ARROW_HEAD * size, tip[1] - dy * ARROW_HEAD * size)
    wing = ARROW_HEAD * 0.55 * size
    return Shape(
        "poly",
        (
            (tip[0] + dx * 0.12 * size, tip[1] + dy * 0.12 * size),
            (back[0] - dy * wing, back[1] + dx * wing),
            (back[0] + dy * wing, back[1] - dx * wing),
        ),
        0.0,
        "arrow",
    )

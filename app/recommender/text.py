"""Source identifiers and number formatting shared by every explanation.

Every prescription a message quotes goes through `prescription_text`, so the numbers a reason
names are the numbers of the prescription it explains; counts go through `plural`.
"""

from app.recommender.enums import Unit
from app.recommender.models import Prescription

ARTICLE = "king-of-the-gym-back-training"
STRONGLIFTS = "stronglifts-5x5"
STARTING_STRENGTH = "starting-strength"
BBR = "basic-beginner-routine"
PPL = "reddit-ppl"
GZCLP = "gzclp"
LIFTOSAUR_LP = "liftosaur-lp"
LIFTOSAUR_DP = "liftosaur-dp"
RTS = "rts-rpe-chart"
RP_LANDMARKS = "rp-volume-landmarks"
RP_SET_PROGRESSION = "rp-set-progression"
EPLEY = "epley-formula"


def num(x: float) -> str:
    """A load or count without float noise: 52.5, 105, 27.5."""
    return f"{round(x, 2):g}"


def qty(x: float, unit: Unit) -> str:
    return f"{num(x)} {unit.value}"


def reps_text(reps: tuple[int, ...]) -> str:
    if reps and all(r == reps[0] for r in reps):
        return f"{len(reps)}x{reps[0]}"
    return "[" + ", ".join(str(r) for r in reps) + "]"


def all_sets(n: int) -> str:
    return "The set" if n == 1 else f"All {n} sets"


def target_reps(targets: tuple[int, ...]) -> str:
    """ "5 reps" for uniform targets, "[5, 5, 3] reps" otherwise."""
    if targets and all(t == targets[0] for t in targets):
        return f"{targets[0]} reps"
    return reps_text(targets) + " reps"


def plural(n: float, word: str, many: str | None = None) -> str:
    """ "1 session", "3 sessions", "1.5 sets": the count and the right form of the word."""
    return f"{num(n)} {word if n == 1 else (many or word + 's')}"


def prescription_text(p: Prescription, unit: Unit) -> str:
    """The one way a message states a prescription: "3x8 at 85 kg, RPE 8", "2x6-10 at RPE 8",
    "[12, 11, 11] at 60 kg", "3x8 with 27.5 kg assistance", "3x5 at bodyweight"."""
    if p.per_set_reps is not None:
        scheme = reps_text(p.per_set_reps)
    elif p.reps is not None:
        scheme = f"{p.sets}x{p.reps}"
    elif p.rep_range is not None:
        lo, hi = p.rep_range
        scheme = f"{p.sets}x{lo}" if lo == hi else f"{p.sets}x{lo}-{hi}"
    else:
        scheme = plural(p.sets, "set")
    parts = [scheme]
    if p.assistance:
        parts.append(f" with {qty(p.assistance, unit)} assistance")
    elif p.load is not None and p.load > 0:
        parts.append(f" at {qty(p.load, unit)}")
    elif p.load is not None:
        parts.append(" at bodyweight")
    if p.target_rpe is not None:
        joiner = ", RPE" if len(parts) > 1 else " at RPE"
        parts.append(f"{joiner} {num(p.target_rpe)}")
    if p.final_set_to_failure:
        parts.append(", last set to failure")
    return "".join(parts)

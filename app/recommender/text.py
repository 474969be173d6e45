"""Source identifiers and number formatting shared by every explanation."""

from app.recommender.enums import Unit

ARTICLE = "article:king-of-the-gym-back-training"
STRONGLIFTS = "stronglifts-5x5"
STARTING_STRENGTH = "starting-strength"
BBR = "reddit-fitness-basic-beginner-routine"
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

"""Realistic catalog facts for the exercises the recommender tests use.

The real catalog comes from the knowledge base; these mirror what it will supply by slug.
"""

from app.recommender import ExerciseFacts, LadderStep, Loading, Pattern, Side

_LATS_UPPER = ("latissimus-dorsi", "trapezius-middle", "rhomboid-major", "teres-major")

DEADLIFT = ExerciseFacts(
    slug="deadlift",
    pattern=Pattern.HINGE,
    side=Side.BACK,
    primary_muscles=("erector-spinae", "gluteus-maximus", "hamstrings"),
    secondary_muscles=("latissimus-dorsi", "trapezius", "quadriceps", "forearm-flexors"),
    loading=Loading.BARBELL,
    axial_heavy=True,
    rep_range=(3, 6),
    top_rank=1,
)
PULL_UP = ExerciseFacts(
    slug="pull-up",
    pattern=Pattern.VERTICAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "teres-major"),
    secondary_muscles=("biceps-brachii", "brachialis", "rhomboid-major", "trapezius-lower"),
    loading=Loading.BODYWEIGHT,
    rep_range=(5, 8),
    top_rank=2,
    bodyweight_factor=0.95,
)
ASSISTED_PULL_UP = ExerciseFacts(
    slug="assisted-pull-up",
    pattern=Pattern.VERTICAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "teres-major"),
    secondary_muscles=("biceps-brachii", "brachialis"),
    loading=Loading.ASSISTED,
    rep_range=(8, 8),
    variant_of="pull-up",
    bodyweight_factor=0.95,
)
WEIGHTED_PULL_UP = ExerciseFacts(
    slug="weighted-pull-up",
    pattern=Pattern.VERTICAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "teres-major"),
    secondary_muscles=("biceps-brachii", "brachialis"),
    loading=Loading.WEIGHTED_BODYWEIGHT,
    rep_range=(5, 8),
    variant_of="pull-up",
    bodyweight_factor=0.95,
)
CHIN_UP = ExerciseFacts(
    slug="chin-up",
    pattern=Pattern.VERTICAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "biceps-brachii"),
    secondary_muscles=("teres-major", "brachialis"),
    loading=Loading.BODYWEIGHT,
    rep_range=(5, 8),
    bodyweight_factor=0.95,
)
BARBELL_ROW = ExerciseFacts(
    slug="barbell-bent-over-row",
    pattern=Pattern.HORIZONTAL_PULL,
    side=Side.BACK,
    primary_muscles=(*_LATS_UPPER, "posterior-deltoid"),
    secondary_muscles=("biceps-brachii", "erector-spinae", "forearm-flexors"),
    loading=Loading.BARBELL,
    axial_heavy=True,
    rep_range=(8, 12),
    top_rank=3,
)
PENDLAY_ROW = ExerciseFacts(
    slug="pendlay-row",
    pattern=Pattern.HORIZONTAL_PULL,
    side=Side.BACK,
    primary_muscles=_LATS_UPPER,
    secondary_muscles=("biceps-brachii", "erector-spinae"),
    loading=Loading.BARBELL,
    axial_heavy=True,
    rep_range=(6, 10),
)
INVERTED_ROW = ExerciseFacts(
    slug="inverted-row",
    pattern=Pattern.HORIZONTAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "rhomboid-major", "trapezius-middle"),
    secondary_muscles=("biceps-brachii", "posterior-deltoid"),
    loading=Loading.BODYWEIGHT,
    ladder=(
        LadderStep("bar-chest-height", "bar at chest height"),
        LadderStep("bar-hip-height", "bar at hip height"),
        LadderStep("feet-elevated", "feet elevated"),
        LadderStep("feet-elevated-loaded", "feet elevated with a plate", loaded=True),
    ),
    rep_range=(8, 12),
    top_rank=4,
    bodyweight_factor=0.6,
)
HYPEREXTENSION = ExerciseFacts(
    slug="hyperextension",
    pattern=Pattern.BACK_EXTENSION,
    side=Side.BACK,
    primary_muscles=("erector-spinae",),
    secondary_muscles=("gluteus-maximus", "hamstrings"),
    loading=Loading.BODYWEIGHT,
    ladder=(
        LadderStep("arms-crossed", "arms crossed"),
        LadderStep("hands-behind-head", "hands behind head"),
        LadderStep("held-plate", "holding a plate", loaded=True),
    ),
    rep_range=(12, 12),
    top_rank=5,
    bodyweight_factor=0.5,
)
LAT_PULLDOWN = ExerciseFacts(
    slug="lat-pulldown",
    pattern=Pattern.VERTICAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "teres-major"),
    secondary_muscles=("biceps-brachii", "rhomboid-major"),
    loading=Loading.CABLE,
    rep_range=(8, 12),
)
SEATED_CABLE_ROW = ExerciseFacts(
    slug="seated-cable-row",
    pattern=Pattern.HORIZONTAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "rhomboid-major", "trapezius-middle"),
    secondary_muscles=("biceps-brachii", "posterior-deltoid"),
    loading=Loading.CABLE,
    rep_range=(8, 12),
)
ONE_ARM_DUMBBELL_ROW = ExerciseFacts(
    slug="one-arm-dumbbell-row",
    pattern=Pattern.HORIZONTAL_PULL,
    side=Side.BACK,
    primary_muscles=("latissimus-dorsi", "rhomboid-major"),
    secondary_muscles=("biceps-brachii", "posterior-deltoid"),
    loading=Loading.DUMBBELL,
    rep_range=(8, 12),
)
FACE_PULL = ExerciseFacts(
    slug="face-pull",
    pattern=Pattern.ISOLATION,
    side=Side.BACK,
    primary_muscles=("posterior-deltoid", "infraspinatus"),
    secondary_muscles=("trapezius-middle", "rhomboid-minor"),
    loading=Loading.CABLE,
    rep_range=(12, 20),
)
BICEPS_CURL = ExerciseFacts(
    slug="biceps-curl",
    pattern=Pattern.ISOLATION,
    side=Side.OTHER,
    primary_muscles=("biceps-brachii",),
    secondary_muscles=("brachialis", "brachioradialis"),
    loading=Loading.DUMBBELL,
    rep_range=(10, 15),
)
BENCH_PRESS = ExerciseFacts(
    slug="bench-press",
    pattern=Pattern.HORIZONTAL_PUSH,
    side=Side.FRONT,
    primary_muscles=("pectoralis-major",),
    secondary_muscles=("anterior-deltoid", "triceps-brachii"),
    loading=Loading.BARBELL,
    rep_range=(5, 8),
)
OVERHEAD_PRESS = ExerciseFacts(
    slug="overhead-press",
    pattern=Pattern.VERTICAL_PUSH,
    side=Side.FRONT,
    primary_muscles=("anterior-deltoid",),
    secondary_muscles=("lateral-deltoid", "triceps-brachii"),
    loading=Loading.BARBELL,
    rep_range=(5, 8),
)
INCLINE_DUMBBELL_PRESS = ExerciseFacts(
    slug="incline-dumbbell-press",
    pattern=Pattern.HORIZONTAL_PUSH,
    side=Side.FRONT,
    primary_muscles=("pectoralis-major", "anterior-deltoid"),
    secondary_muscles=("triceps-brachii",),
    loading=Loading.DUMBBELL,
    rep_range=(8, 12),
)
DIP = ExerciseFacts(
    slug="dip",
    pattern=Pattern.VERTICAL_PUSH,
    side=Side.FRONT,
    primary_muscles=("pectoralis-major", "triceps-brachii"),
    secondary_muscles=("anterior-deltoid",),
    loading=Loading.BODYWEIGHT,
    rep_range=(6, 12),
    bodyweight_factor=0.9,
)
BACK_SQUAT = ExerciseFacts(
    slug="back-squat",
    pattern=Pattern.SQUAT,
    side=Side.OTHER,
    primary_muscles=("quadriceps", "gluteus-maximus"),
    secondary_muscles=("adductors", "erector-spinae"),
    loading=Loading.BARBELL,
    axial_heavy=True,
    rep_range=(3, 6),
)

CATALOG: tuple[ExerciseFacts, ...] = (
    DEADLIFT,
    PULL_UP,
    ASSISTED_PULL_UP,
    WEIGHTED_PULL_UP,
    CHIN_UP,
    BARBELL_ROW,
    PENDLAY_ROW,
    INVERTED_ROW,
    HYPEREXTENSION,
    LAT_PULLDOWN,
    SEATED_CABLE_ROW,
    ONE_ARM_DUMBBELL_ROW,
    FACE_PULL,
    BICEPS_CURL,
    BENCH_PRESS,
    OVERHEAD_PRESS,
    INCLINE_DUMBBELL_PRESS,
    DIP,
    BACK_SQUAT,
)

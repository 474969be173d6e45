"""The model registry: importing this module registers every table on the shared metadata.

Alembic's ``env.py`` and the drift check import it, so a table missing here is a table
migrations do not know about.
"""

from __future__ import annotations

from app.anatomy.models import JointAction, Muscle, MuscleFunction
from app.api_keys.models import ApiKey
from app.apps.models import RegisteredApp
from app.db.base import metadata
from app.exercises.models import Equipment, Exercise, ExerciseJointAction, ExerciseMuscle
from app.idempotency.models import IdempotencyRecord
from app.knowledge.models import ContentRevision, Source
from app.oauth.models import AuthorizationCode, Grant, IssuedToken
from app.ratelimit.models import RateLimitState
from app.tips.models import AnatomyNote, Benefit, Routine, Strategy, Tip
from app.training.models import TrainingProfile, TrainingSession, TrainingSet
from app.users.models import RefreshToken, User

__all__ = [
    "AnatomyNote",
    "ApiKey",
    "AuthorizationCode",
    "Benefit",
    "ContentRevision",
    "Equipment",
    "Exercise",
    "ExerciseJointAction",
    "ExerciseMuscle",
    "Grant",
    "IdempotencyRecord",
    "IssuedToken",
    "JointAction",
    "Muscle",
    "MuscleFunction",
    "RateLimitState",
    "RefreshToken",
    "RegisteredApp",
    "Routine",
    "Source",
    "Strategy",
    "Tip",
    "TrainingProfile",
    "TrainingSession",
    "TrainingSet",
    "User",
    "metadata",
]

"""Starts the secure-scoring policy pack (the Pulumi CLI runs ``python -m pulumi.policy`` on this
directory). Only the wiring lives here: the rules are in ``secure_scoring.policy.rules`` and
``secure_scoring.policy.pack``. Never import this file: ``PolicyPack(...)`` serves forever.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from secure_scoring.policy.pack import PACK_DESCRIPTION, PACK_NAME, build_policies

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    # each policy carries its own level (production-only rules are advisory outside production)
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)

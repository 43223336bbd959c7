"""Starts the secure-scoring policy pack: the Pulumi CLI runs ``python -u -m pulumi.policy <engine>
<this directory>``, which runs this file. Written by ``secure-scoring policy-pack init`` too; the rules
live in the installed package. Never import this file: the pack serves until the CLI stops it.
"""

from secure_scoring.pulumi_pack import serve

serve()

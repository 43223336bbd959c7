"""Starts the secure-scoring policy pack (the Pulumi CLI runs ``python -u -m pulumi.policy <engine>
<this directory>``). The same file as the pack shipped in the package (``secure_scoring/pulumi_pack``)
and the one ``secure-scoring policy-pack init`` writes: the rules are in ``secure_scoring.policy``.
Never import this file: the pack serves until the CLI stops it.
"""

from secure_scoring.pulumi_pack import serve

serve()

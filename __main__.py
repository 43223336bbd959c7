"""Entry point of the component provider: the Pulumi CLI's Python language host runs
``python <this directory> <engine address>`` for the plugin that ``PulumiPlugin.yaml`` declares.

Not part of the stacks program (``Pulumi.yaml``'s ``main`` is ``stacks/``).
"""

from secure_scoring.provider import main

if __name__ == "__main__":
    main()

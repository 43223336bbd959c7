"""secure-scoring: Pulumi components and a policy pack for Azure ML scoring endpoints."""

"""ecsdeploy: one YAML file to a running app on AWS ECS Fargate, by direct AWS API calls."""

__version__ = "0.1.0"

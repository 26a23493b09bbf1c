"""The spec: the YAML file a user writes, parsed and validated into pydantic models."""

from ecsdeploy.spec.errors import Problem, SpecError
from ecsdeploy.spec.loader import load_spec, parse_spec
from ecsdeploy.spec.models import Spec

__all__ = ["Problem", "Spec", "SpecError", "load_spec", "parse_spec"]

"""A pydantic model's own JSON Schema as `lamp ask --schema`, on the real default model,
through the CLI: the output parses back into the model (a Korean prompt and input)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import pytest
from pydantic import BaseModel, Field

pytestmark = pytest.mark.integration


class Person(BaseModel):
    name: str
    age: int = Field(ge=0)
    email: Optional[str] = None  # noqa: UP045 - pydantic users write it this way
    tags: list[str]
    birthday: date | None = None


def test_a_pydantic_schema_round_trips_on_the_default_model(run_lamp,
                                                            default_model: Path) -> None:
    schema = json.dumps(Person.model_json_schema(), ensure_ascii=False)
    assert "$defs" not in schema and '"anyOf"' in schema and '"minimum": 0' in schema
    text = ("김민수는 32살이고 1992년 3월 5일에 태어났다. 이메일은 minsu@example.com 이고, "
            "취미는 등산과 바둑이다.")
    proc = run_lamp("ask", "--no-memory", "--max-tokens", "200", "--schema", schema,
                    "이 사람의 정보를 추출해 줘", stdin=text.encode())
    assert proc.returncode == 0, proc.stderr
    person = Person.model_validate_json(proc.stdout)
    assert person.age == 32 and "민수" in person.name
    assert proc.stdout.count(b"\n") == 1

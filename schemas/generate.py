"""Write the JSON Schema of every contract model to schemas/jsonschema/<name>.v<N>.json.

Run `python -m schemas.generate` after changing a model; tests/unit/test_contract.py fails
when the files on disk drift from the models. Consumers of the topics (CRMs, other tools)
validate against these files.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from .models import SCHEMA_VERSION, RawMessage
from .tables import TABLES

OUT_DIR = Path(__file__).resolve().parent / "jsonschema"


def contract_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {"raw_message": RawMessage}
    for name, table in TABLES.items():
        models[name] = table.model
    return models


def rendered() -> dict[str, str]:
    """File name -> JSON text, for every contract model."""
    out = {}
    for name, model in sorted(contract_models().items()):
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"https://bouncepipe.dev/schemas/{name}.v{SCHEMA_VERSION}.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{name}.v{SCHEMA_VERSION}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main() -> int:
    OUT_DIR.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (OUT_DIR / name).write_text(text)
        print(f"wrote {OUT_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""JSON Schemas (draft 2020-12) of the two files the safeguards commands read.

- `balance`: one MBA's balance sequence, as `accordwatch safeguards evaluate`
  reads it (`accordwatch.safeguards.balance_file`);
- `facility`: a facility and a diversion scenario, as `accordwatch safeguards
  simulate` reads it (`accordwatch.safeguards.simulation`).

The schemas say what a tool outside accordwatch can check before it writes a
file: members, types and ranges. What depends on several members at once (a
flow has `period_count` values, an inventory one more; a method key exists in
the method table; a facility is balanced) is checked by the readers, which
name the member at fault. Shipped examples of both files validate against them.
"""

from __future__ import annotations

from typing import Any

_DRAFT = "https://json-schema.org/draft/2020-12/schema"

_NUMBER = {"type": "number"}
_RSD = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}

_SETTINGS: dict[str, Any] = {
    "period_count": {
        "type": "integer",
        "minimum": 1,
        "description": "Number of balance periods B.",
    },
    "unit": {"enum": ["g", "kg", "t"], "default": "kg"},
    "material": {
        "type": ["string", "null"],
        "description": "Material counted, for figures in significant quantities (e.g. pu, heu).",
    },
    "k": {
        "type": "number",
        "minimum": 0,
        "default": 3,
        "description": "A balance alarms when MUF > k sigma (and CUMUF, SITMUF likewise).",
    },
    "K": {"type": "number", "minimum": 0, "default": 0.5, "description": "Page's reference value."},
    "h": {"type": "number", "minimum": 0, "default": 5, "description": "Page's threshold."},
}

_ERRORS: dict[str, Any] = {
    "method": {
        "type": "string",
        "description": "A key of the method table (`accordwatch safeguards methods`), or a+b.",
    },
    "random_rsd": {**_RSD, "description": "Relative random standard deviation (0.001 is 0.1 %)."},
    "systematic_rsd": {**_RSD, "description": "Relative systematic standard deviation."},
    "recalibrated_at": {
        "type": "array",
        "items": {"type": "integer", "minimum": 2},
        "description": "Periods from which a recalibration gives a new systematic error.",
    },
}

_EITHER_METHOD_OR_RSD = {
    "oneOf": [
        {
            "required": ["method"],
            "not": {"anyOf": [{"required": ["random_rsd"]}, {"required": ["systematic_rsd"]}]},
        },
        {"required": ["random_rsd", "systematic_rsd"], "not": {"required": ["method"]}},
    ]
}


def balance_schema() -> dict[str, Any]:
    """The schema of a balance file."""
    location = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "kind", "values"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "kind": {"enum": ["input", "output", "inventory"]},
            **_ERRORS,
            "values": {
                "type": "array",
                "items": _NUMBER,
                "description": "B per-period totals for a flow, B+1 boundary values for an "
                "inventory, as observed.",
            },
            "declared": {
                "type": "array",
                "items": _NUMBER,
                "description": "The same values as declared; on every location or none.",
            },
        },
        **_EITHER_METHOD_OR_RSD,
    }
    return {
        "$schema": _DRAFT,
        "$id": "urn:accordwatch:schema:safeguards-balance",
        "title": "accordwatch balance file (safeguards evaluate)",
        "type": "object",
        "additionalProperties": False,
        "required": ["period_count", "locations"],
        "properties": {
            **_SETTINGS,
            "alpha": {
                "type": ["number", "null"],
                "exclusiveMinimum": 0,
                "exclusiveMaximum": 1,
                "description": "False alarm probability for the detection figures "
                "[default: that of k].",
            },
            "locations": {"type": "array", "minItems": 1, "items": location},
        },
    }


def facility_schema() -> dict[str, Any]:
    """The schema of a facility description."""
    location = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "kind"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "kind": {"enum": ["input", "output", "inventory"]},
            **_ERRORS,
            "value": {
                "type": "number",
                "minimum": 0,
                "description": "The true value, the same every period (or boundary).",
            },
            "values": {
                "type": "array",
                "items": _NUMBER,
                "description": "The true values: B for a flow, B+1 for an inventory.",
            },
        },
        "allOf": [
            _EITHER_METHOD_OR_RSD,
            {"oneOf": [{"required": ["value"]}, {"required": ["values"]}]},
        ],
    }
    scenario = {
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind"],
                "properties": {"kind": {"const": "none"}},
            },
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "balance", "amount"],
                "properties": {
                    "kind": {"const": "abrupt"},
                    "balance": {"type": "integer", "minimum": 1},
                    "amount": {"type": "number", "minimum": 0},
                    "from": {"type": "string", "description": "An inventory location."},
                },
            },
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "start", "per_balance"],
                "properties": {
                    "kind": {"const": "protracted"},
                    "start": {"type": "integer", "minimum": 1},
                    "end": {"type": "integer", "minimum": 1},
                    "per_balance": {"type": "number", "minimum": 0},
                    "from": {"type": "string", "description": "An inventory location."},
                },
            },
        ]
    }
    return {
        "$schema": _DRAFT,
        "$id": "urn:accordwatch:schema:safeguards-facility",
        "title": "accordwatch facility description (safeguards simulate)",
        "type": "object",
        "additionalProperties": False,
        "required": ["period_count", "locations", "seed"],
        "properties": {
            **_SETTINGS,
            "realisations": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
            "seed": {
                "type": "integer",
                "minimum": 0,
                "description": "The simulation's only source of randomness.",
            },
            "locations": {"type": "array", "minItems": 1, "items": location},
            "scenario": scenario,
        },
    }


SCHEMAS = {"balance": balance_schema, "facility": facility_schema}

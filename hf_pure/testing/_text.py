"""Deterministic text for emulated generations: words picked by hashing the prompt."""

from __future__ import annotations

import hashlib

__all__ = ["VOCAB", "count_words", "logprob_of", "pick_words", "schema_example"]

# 256 distinct words, none a substring of another, so a word used as a stop string matches
# exactly where that word was generated.
VOCAB: tuple[str, ...] = (
    "amber",
    "anchor",
    "apple",
    "arrow",
    "autumn",
    "badge",
    "bamboo",
    "banner",
    "barley",
    "basket",
    "beacon",
    "beetle",
    "berry",
    "bishop",
    "blanket",
    "blossom",
    "bonfire",
    "border",
    "bottle",
    "boulder",
    "bracket",
    "breeze",
    "bridge",
    "bronze",
    "bubble",
    "bucket",
    "buffalo",
    "butter",
    "cabin",
    "cactus",
    "camera",
    "candle",
    "canyon",
    "carbon",
    "carpet",
    "castle",
    "cedar",
    "cellar",
    "cement",
    "cherry",
    "chimney",
    "cinder",
    "circus",
    "citrus",
    "clover",
    "cobalt",
    "coffee",
    "comet",
    "copper",
    "coral",
    "cotton",
    "cradle",
    "crater",
    "cricket",
    "crystal",
    "cypress",
    "dagger",
    "daisy",
    "dancer",
    "delta",
    "desert",
    "diamond",
    "dolphin",
    "dragon",
    "drizzle",
    "dune",
    "eagle",
    "ember",
    "engine",
    "falcon",
    "fabric",
    "feather",
    "fennel",
    "ferry",
    "fiddle",
    "finch",
    "flame",
    "flannel",
    "forest",
    "fossil",
    "fountain",
    "fox",
    "galaxy",
    "garden",
    "garlic",
    "geyser",
    "ginger",
    "glacier",
    "goblet",
    "granite",
    "gravel",
    "guitar",
    "hammer",
    "harbor",
    "harvest",
    "hazel",
    "helmet",
    "heron",
    "hickory",
    "honey",
    "horizon",
    "husky",
    "iceberg",
    "igloo",
    "indigo",
    "island",
    "ivory",
    "jacket",
    "jasmine",
    "jelly",
    "jigsaw",
    "juniper",
    "kettle",
    "kiwi",
    "koala",
    "ladder",
    "lagoon",
    "lantern",
    "laurel",
    "lemon",
    "lichen",
    "lily",
    "linen",
    "lizard",
    "lobster",
    "locket",
    "lotus",
    "magnet",
    "mango",
    "maple",
    "marble",
    "meadow",
    "melon",
    "meteor",
    "mirror",
    "mosaic",
    "moss",
    "mountain",
    "muffin",
    "mural",
    "nectar",
    "needle",
    "nickel",
    "nutmeg",
    "oasis",
    "ocean",
    "olive",
    "onyx",
    "orbit",
    "orchid",
    "otter",
    "oyster",
    "paddle",
    "palace",
    "panda",
    "pepper",
    "pebble",
    "pelican",
    "penguin",
    "pigeon",
    "pillow",
    "pine",
    "planet",
    "plaza",
    "plum",
    "pocket",
    "pony",
    "poplar",
    "prairie",
    "prism",
    "pumpkin",
    "puzzle",
    "quartz",
    "quill",
    "quiver",
    "rabbit",
    "radish",
    "raven",
    "reef",
    "ribbon",
    "river",
    "robin",
    "rocket",
    "rose",
    "ruby",
    "saddle",
    "saffron",
    "salmon",
    "sandal",
    "satin",
    "scarf",
    "scroll",
    "shadow",
    "shell",
    "silver",
    "sketch",
    "sled",
    "slipper",
    "spider",
    "spruce",
    "squash",
    "squirrel",
    "statue",
    "stone",
    "summit",
    "sunset",
    "swan",
    "tablet",
    "tango",
    "teapot",
    "temple",
    "thistle",
    "thunder",
    "tiger",
    "timber",
    "topaz",
    "torch",
    "tulip",
    "tundra",
    "turtle",
    "umbrella",
    "valley",
    "velvet",
    "violet",
    "violin",
    "volcano",
    "walnut",
    "walrus",
    "wagon",
    "willow",
    "window",
    "winter",
    "wizard",
    "yacht",
    "zebra",
    "zephyr",
    "zinc",
    "acorn",
    "aspen",
    "atlas",
    "avocado",
    "bagel",
    "ballad",
    "barrel",
    "biscuit",
    "blizzard",
    "breadth",
    "brook",
    "buckle",
    "cameo",
    "canvas",
    "caramel",
    "cashew",
    "cavern",
    "chalk",
    "chestnut",
)
assert len(VOCAB) == 256


def pick_words(key: bytes, count: int) -> list[int]:
    """``count`` vocabulary indices derived from ``key`` (stable across runs and platforms)."""
    out: list[int] = []
    block = 0
    while len(out) < count:
        digest = hashlib.blake2b(key, digest_size=64, salt=block.to_bytes(16, "little")).digest()
        out.extend(digest[: count - len(out)])
        block += 1
    return out


def logprob_of(index: int) -> float:
    """A fixed, plausible log-probability for vocabulary word ``index``."""
    return -round(0.05 + (index * 37 % 211) / 100.0, 4)


def count_words(text: str) -> int:
    return len(text.split())


def schema_example(schema: object) -> object:
    """A value satisfying a (simple) JSON schema, built from its ``required`` properties.

    strings "emulated", numbers/integers 1, booleans true, arrays [], null None, enums their
    first value, objects recursively (only required properties).
    """
    if not isinstance(schema, dict):
        return "emulated"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        names = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        return {name: schema_example(props.get(name, {})) for name in names}
    if kind == "string":
        return "emulated"
    if kind in ("number", "integer"):
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "null":
        return None
    return "emulated"

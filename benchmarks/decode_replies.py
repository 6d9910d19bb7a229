"""What decoding a whole reply costs: microseconds per ``request.decode(reply)`` against
parsing the same body to dicts alone (``loads``), for the emulator's typical chat reply (16
tokens), its tool-call reply and a TGI reply with details.

Replies are decoded straight into frozen Structs when they have the documented shape, so a
decode should cost about what ``loads`` does. Best of several runs of ``timeit``.
Run: ``python benchmarks/decode_replies.py`` (``--quick`` for fewer repeats).
"""

from __future__ import annotations

import sys
import timeit
from functools import partial

import hf_pure as hf
from hf_pure.core.codec import loads

PLAIN = (
    b'{"id":"chatcmpl-emu-1","object":"chat.completion","created":1700000000,'
    b'"model":"meta-llama/Llama-3.1-8B-Instruct","system_fingerprint":"fp_emulator_1",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"cherry honey stone '
    b"drizzle buckle coral penguin squash bronze statue goblet canyon puzzle pepper thunder "
    b'finch"},"logprobs":null,"finish_reason":"length"}],'
    b'"usage":{"prompt_tokens":14,"completion_tokens":16,"total_tokens":30},'
    b'"x_emulator":{"version":1}}'
)
TOOL = (
    b'{"id":"chatcmpl-emu-2","object":"chat.completion","created":1700000000,'
    b'"model":"meta-llama/Llama-3.1-8B-Instruct","system_fingerprint":"fp_emulator_1",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":'
    b'[{"id":"call_afe04f4bdddbb884a444a481","type":"function","function":{"name":'
    b'"get_weather","arguments":"{\\"city\\":\\"emulated\\"}"}}]},"logprobs":null,'
    b'"finish_reason":"tool_calls"}],'
    b'"usage":{"prompt_tokens":14,"completion_tokens":4,"total_tokens":18},'
    b'"x_emulator":{"version":1}}'
)
TGI = hf.json_dumps(
    [
        {
            "generated_text": " the lighthouse keeper",
            "details": {
                "finish_reason": "length",
                "generated_tokens": 4,
                "seed": 17,
                "prefill": [],
                "tokens": [
                    {"id": i, "text": " w", "logprob": -0.5, "special": False} for i in range(4)
                ],
            },
        }
    ]
)


def main(quick: bool = False) -> None:
    number, repeat = (2000, 3) if quick else (20000, 9)
    chat = hf.chat("meta-llama/Llama-3.1-8B-Instruct", ["hi"])
    tgi = hf.text_generation("gpt2", "hi")
    for name, request, body in (
        ("chat", chat, PLAIN),
        ("tool call", chat, TOOL),
        ("tgi", tgi, TGI),
    ):
        reply = hf.raw_reply(200, body)
        assert isinstance(request.decode(reply), hf.Success)
        parse = min(timeit.repeat(partial(loads, body), number=number, repeat=repeat))
        decode = min(timeit.repeat(partial(request.decode, reply), number=number, repeat=repeat))
        print(
            f"{name:10} loads {parse / number * 1e6:6.2f} us   "
            f"decode {decode / number * 1e6:6.2f} us"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

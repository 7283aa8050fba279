#!/usr/bin/python3
# Runs the token-walk machine code (hal/espruino/token-walk-code.ts) on an emulated Cortex-M
# core (Debian's python3-unicorn), the way E.nativeCall calls it: Thumb state, r0 = the state's
# address, r1 = steps, return in r0. Reads one JSON object on stdin:
#   {"code": base64, "base": load address, "cases": [{"st": [14 int32], "steps": n}], "count": bool}
# and prints one JSON list: per case the links taken, the code's words and (when count) the
# instructions executed.
import base64
import json
import sys

from unicorn import Uc, UC_ARCH_ARM, UC_MODE_THUMB, UC_MODE_MCLASS, UC_HOOK_CODE
from unicorn.arm_const import UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_SP, UC_ARM_REG_LR

req = json.load(sys.stdin)
code = base64.b64decode(req["code"])
base = req["base"]
STATE = 0x20010000
STACK = 0x20020000
RETURN = 0x00100000  # an address that holds no code: the emulation stops when it gets there

out = []
for case in req["cases"]:
    mu = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    mu.mem_map(0, 0x200000)
    mu.mem_map(0x20000000, 0x40000)
    mu.mem_write(base, code)
    st = b"".join(int(x & 0xFFFFFFFF).to_bytes(4, "little") for x in case["st"])
    mu.mem_write(STATE, st)
    mu.reg_write(UC_ARM_REG_R0, STATE)
    mu.reg_write(UC_ARM_REG_R1, case["steps"])
    mu.reg_write(UC_ARM_REG_SP, STACK)
    mu.reg_write(UC_ARM_REG_LR, RETURN | 1)
    count = [0]
    if req.get("count"):
        def hook(uc, address, size, user):
            count[0] += 1
        mu.hook_add(UC_HOOK_CODE, hook)
    mu.emu_start(base | 1, RETURN, count=50000000)
    words = mu.mem_read(STATE, 56)
    w = [int.from_bytes(words[4 * i:4 * i + 4], "little") for i in range(14)]
    sp = mu.reg_read(UC_ARM_REG_SP)
    out.append({"n": mu.reg_read(UC_ARM_REG_R0), "lo": w[8], "hi": w[9], "rest": w[:8] + w[10:], "sp": sp == STACK, "insns": count[0]})
print(json.dumps(out))

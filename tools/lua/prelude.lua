-- JavaScript's meaning where Lua's differs, for the billing core compiled by typescript-to-lua
-- (tools/lua/build.ts puts this file at the top of dist/lua/billing.lua; tools/lua/plugin.ts
-- makes the compiled code call it). Everything is a local of the bundle's chunk, so the module
-- sets no global and leaves the host's own tostring, math and bit alone.
-- Runs the same on Lua 5.1, LuaJIT 2.1 and Lua 5.4: no bit operators, no goto, no integer
-- division; on 5.4 numbers are kept floats (doubles, as in JavaScript) wherever the core
-- computes them, and every number is printed as JavaScript's String() prints it.
local ____G_tostring, ____type, ____next, ____pairs = tostring, type, next, pairs
local ____getmetatable, ____setmetatable, ____error, ____tonumber = getmetatable, setmetatable, error, tonumber
local ____format, ____sub, ____byte, ____char, ____rep = string.format, string.sub, string.byte, string.char, string.rep
local ____floor, ____fmod = math.floor, math.fmod
local ____mathType = math.type -- Lua 5.3 and later only
local ____sort, ____concat = table.sort, table.concat

-- JSON values whose kind Lua cannot see: arrays (an empty one looks like an empty object) and the
-- key order of objects (JavaScript keeps insertion order; Lua's pairs() has none).
local ____arrays = ____setmetatable({}, { __mode = "k" })
local ____keyOrder = ____setmetatable({}, { __mode = "k" })

-- Math.floor and Math.ceil give doubles as in JavaScript (on 5.4 math.floor gives an integer,
-- and integer arithmetic wraps at 2^63 where JavaScript's rounds).
local function ____double(x)
    if ____mathType ~= nil and ____mathType(x) == "integer" then return x + 0.0 end
    return x
end
-- Math.min and Math.max give NaN when any argument is NaN (Lua's keep whichever compares).
local ____ceil, ____huge = math.ceil, math.huge
local function ____extreme(sign, ...)
    local r = -sign * ____huge
    for i = 1, select("#", ...) do
        local v = select(i, ...)
        if v ~= v then return 0 / 0 end
        if sign * v > sign * r then r = v end
    end
    return r
end
local math = ____setmetatable({
    floor = function(x) return ____double(____floor(x)) end,
    ceil = function(x) return ____double(____ceil(x)) end,
    min = function(...) return ____extreme(-1, ...) end,
    max = function(...) return ____extreme(1, ...) end,
}, { __index = math })

-- JavaScript truthiness: 0, NaN and "" are false too.
local function ____truthy(v)
    return v ~= nil and v ~= false and v ~= 0 and v ~= "" and v == v
end

-- JavaScript's %: the sign of the dividend (Lua's % takes the divisor's); x % 0 is NaN.
local function ____mod(a, b)
    return ____fmod(____double(a), ____double(b))
end

-- Array.isArray: a JSON array, or a table with element 1 or no elements and no metatable
-- (what typescript-to-lua makes of an array literal).
local function ____isArray(v)
    if ____type(v) ~= "table" then return false end
    if ____arrays[v] then return true end
    if ____keyOrder[v] or ____getmetatable(v) ~= nil then return false end
    return v[1] ~= nil or ____next(v) == nil
end

-- Names every JavaScript object has through Object.prototype (the `in` operator sees them).
local ____objectNames = {}
for name in ("constructor hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString toString valueOf __proto__ __defineGetter__ __defineSetter__ __lookupGetter__ __lookupSetter__"):gmatch("%S+") do
    ____objectNames[name] = true
end
local function ____in(key, o)
    return o[key] ~= nil or ____objectNames[key] == true
end

-- An array index ("0" to "4294967294", no leading zero): JavaScript enumerates those first, in
-- numeric order.
local function ____indexKey(k)
    if ____type(k) == "number" then return k end
    if ____type(k) == "string" and k:match("^%d+$") and (k == "0" or ____sub(k, 1, 1) ~= "0") and #k <= 10 then
        local n = ____tonumber(k)
        if n <= 4294967294 then return n end
    end
    return nil
end

-- for (k in o): JavaScript's order (index keys ascending, then the others as inserted; a
-- table whose insertion order is unknown gives its other keys sorted, the same on every Lua).
local function ____forIn(o)
    local indexes, names, seen, rest = {}, {}, {}, {}
    local order = ____keyOrder[o]
    if order then
        for i = 1, #order do
            local k = order[i]
            if not seen[k] and o[k] ~= nil then
                seen[k] = true
                if ____indexKey(k) then indexes[#indexes + 1] = k else names[#names + 1] = k end
            end
        end
    end
    local strings = true
    for k in ____pairs(o) do
        if not seen[k] then
            if ____indexKey(k) then
                indexes[#indexes + 1] = k
            else
                rest[#rest + 1] = k
                strings = strings and ____type(k) == "string"
            end
        end
    end
    if strings then ____sort(rest) else ____sort(rest, function(a, b) return ____G_tostring(a) < ____G_tostring(b) end) end
    ____sort(indexes, function(a, b) return ____indexKey(a) < ____indexKey(b) end)
    local keys = indexes
    for i = 1, #names do keys[#keys + 1] = names[i] end
    for i = 1, #rest do keys[#keys + 1] = rest[i] end
    local i = 0
    return function()
        i = i + 1
        return keys[i]
    end
end

-- Number to text exactly as JavaScript's String(x): the fewest digits that read back as x.
local function ____numberText(x)
    if x ~= x then return "NaN" end
    if x == ____huge then return "Infinity" end
    if x == -____huge then return "-Infinity" end
    if x == 0 then return "0" end
    if x == ____floor(x) and x > -9007199254740992 and x < 9007199254740992 then
        return ____format("%.0f", x)
    end
    local s
    for p = 0, 16 do
        s = ____format("%." .. p .. "e", x)
        if ____tonumber(s) == x then break end
    end
    local sign, first, rest, exp = s:match("^(-?)(%d)%.?(%d*)e([-+]%d+)$")
    local digits = first .. rest
    local k, n = #digits, ____tonumber(exp) + 1
    if k <= n and n <= 21 then return sign .. digits .. ____rep("0", n - k) end
    if 0 < n and n <= 21 then return sign .. ____sub(digits, 1, n) .. "." .. ____sub(digits, n + 1) end
    if -6 < n and n <= 0 then return sign .. "0." .. ____rep("0", -n) .. digits end
    local e = n - 1
    local et = (e < 0 and "-" or "+") .. ____format("%d", e < 0 and -e or e)
    if k == 1 then return sign .. digits .. "e" .. et end
    return sign .. first .. "." .. rest .. "e" .. et
end

-- String(v) as JavaScript gives it (nil is undefined; an array joins its elements with commas).
local function tostring(v)
    local t = ____type(v)
    if t == "number" then return ____numberText(v) end
    if v == nil then return "undefined" end
    if t == "table" then
        if ____isArray(v) then
            local parts = {}
            for i = 1, #v do parts[i] = v[i] == nil and "" or tostring(v[i]) end
            return ____concat(parts, ",")
        end
        local mt = ____getmetatable(v)
        if mt == nil or mt.__tostring == nil then return "[object Object]" end
    end
    return ____G_tostring(v)
end

-- Array.prototype.join, which typescript-to-lua turns into table.concat for lists of numbers or
-- strings: numbers as String() writes them, undefined as ''.
local ____table = table
local table = ____setmetatable({
    concat = function(t, sep, i, j)
        local parts = {}
        for k = i or 1, j or #t do
            local v = t[k]
            if ____type(v) ~= "string" then v = v == nil and "" or tostring(v) end
            parts[#parts + 1] = v
        end
        return ____concat(parts, sep or "")
    end,
}, { __index = ____table })

-- JavaScript's bit operators on 32-bit integers, with arithmetic only (Lua 5.1 has none, and
-- LuaJIT's bit.rshift is not >>>). typescript-to-lua calls bit.band etc. for & | ^ ~ << >> >>>.
local ____TWO32 = 4294967296
local function ____uint32(x)
    if x ~= x or x == ____huge or x == -____huge then return 0 end
    x = x >= 0 and ____floor(x) or -____floor(-x)
    x = ____fmod(x, ____TWO32)
    if x < 0 then x = x + ____TWO32 end
    return x
end
local function ____int32(x)
    x = ____uint32(x)
    if x >= 2147483648 then return ____double(x - ____TWO32) end
    return ____double(x)
end
local function ____bits(a, b, keep)
    a, b = ____uint32(a), ____uint32(b)
    local r, p = 0, 1
    for _ = 1, 32 do
        local x, y = a % 2, b % 2
        if keep(x, y) then r = r + p end
        a, b, p = (a - x) / 2, (b - y) / 2, p * 2
    end
    return ____int32(r)
end
local function ____and(x, y) return x == 1 and y == 1 end
local function ____or(x, y) return x == 1 or y == 1 end
local function ____xor(x, y) return x ~= y end
local bit = {
    band = function(a, b) return ____bits(a, b, ____and) end,
    bor = function(a, b) return ____bits(a, b, ____or) end,
    bxor = function(a, b) return ____bits(a, b, ____xor) end,
    bnot = function(a) return -1 - ____int32(a) end,
    lshift = function(a, n) return ____int32(____uint32(a) * 2 ^ (____uint32(n) % 32)) end,
    arshift = function(a, n) return ____double(____floor(____int32(a) / 2 ^ (____uint32(n) % 32))) end,
    rshift = function(a, n) return ____double(____floor(____uint32(a) / 2 ^ (____uint32(n) % 32))) end,
}

-- Typed arrays as plain zero-filled tables (DESIGN.md: the Lua build swaps in plain arrays).
-- They follow typescript-to-lua's class layout, so `new` and `instanceof` work on them. Code that
-- types a table as number[] indexes it from 1, code that types it as a typed array from 0: both
-- ranges start as zeros, and the core never hands one table across the two. A store into one
-- converts the value as the typed array would (plugin.ts turns `t[i] = v` into ____store): a
-- Uint16Array keeps 84 of 84.8, a Uint8Array 4 of 260.
local function ____number(v)
    local t = ____type(v)
    if t == "number" then return v end
    if t == "boolean" then return v and 1 or 0 end
    if t == "string" then return ____tonumber(v) or 0 / 0 end
    return 0 / 0
end
local ____converts = {
    Float64Array = ____number,
    Float32Array = ____number, -- not rounded to single precision: the core has none
    Int32Array = function(v) return ____int32(____number(v)) end,
    Uint32Array = function(v) return ____double(____uint32(____number(v))) end,
    Int16Array = function(v) local u = ____uint32(____number(v)) % 65536; return ____double(u >= 32768 and u - 65536 or u) end,
    Uint16Array = function(v) return ____double(____uint32(____number(v)) % 65536) end,
    Int8Array = function(v) local u = ____uint32(____number(v)) % 256; return ____double(u >= 128 and u - 256 or u) end,
    Uint8Array = function(v) return ____double(____uint32(____number(v)) % 256) end,
}
local function ____store(t, k, v)
    local mt = ____getmetatable(t)
    if mt ~= nil then
        local convert = mt.____convert
        if convert ~= nil then v = convert(v) end
    end
    t[k] = v
end
local ArrayBuffer = { name = "ArrayBuffer", prototype = {} }
ArrayBuffer.prototype.__index = ArrayBuffer.prototype
ArrayBuffer.prototype.constructor = ArrayBuffer
function ArrayBuffer.prototype.____constructor(self, bytes)
    self.byteLength = bytes or 0
end
local function ____typedArray(name, size)
    local class = { name = name, prototype = {}, BYTES_PER_ELEMENT = size }
    local convert = ____converts[name]
    class.prototype.__index = class.prototype
    class.prototype.constructor = class
    class.prototype.____convert = convert
    function class.prototype.____constructor(self, a, at, n)
        local len = 0
        if ____type(a) == "number" then
            len = a
        elseif ____type(a) == "table" and ____getmetatable(a) == ArrayBuffer.prototype then
            len = n or ____floor((a.byteLength - (at or 0)) / size)
        elseif ____type(a) == "table" then
            len = #a
            for i = 1, len do self[i] = convert(a[i]) end
        end
        for i = 0, len do
            if self[i] == nil then self[i] = 0 end
        end
        self.length = len
    end
    return class
end
local Float64Array = ____typedArray("Float64Array", 8)
local Float32Array = ____typedArray("Float32Array", 4)
local Int32Array = ____typedArray("Int32Array", 4)
local Uint32Array = ____typedArray("Uint32Array", 4)
local Int16Array = ____typedArray("Int16Array", 2)
local Uint16Array = ____typedArray("Uint16Array", 2)
local Int8Array = ____typedArray("Int8Array", 1)
local Uint8Array = ____typedArray("Uint8Array", 1)

-- parseInt(s, radix) as JavaScript's: leading white space, a sign, "0x" for radix 16 (or none
-- given), the longest run of digits; NaN when there is none (typescript-to-lua's takes no "+").
local ____digits = "0123456789abcdefghijklmnopqrstuvwxyz"
local function ____parseInt(s, radix)
    s = tostring(s)
    local at = s:find("[^ \t\n\v\f\r]") or #s + 1
    local sign = 1
    local c = ____sub(s, at, at)
    if c == "-" or c == "+" then
        if c == "-" then sign = -1 end
        at = at + 1
    end
    local r = radix == nil and 0 or ____int32(____number(radix))
    local hex = ____sub(s, at, at + 1):lower() == "0x"
    if r == 0 then r = hex and 16 or 10 end
    if r < 2 or r > 36 then return 0 / 0 end
    if r == 16 and hex then at = at + 2 end
    local from, value = at, 0
    while at <= #s do
        local d = ____digits:find(____sub(s, at, at):lower(), 1, true)
        if d == nil or d > r then break end
        value = value * r + (d - 1)
        at = at + 1
    end
    if at == from then return 0 / 0 end
    if r == 10 then value = ____tonumber(____sub(s, from, at - 1)) end -- rounded once, as JavaScript does
    return ____double(sign * value)
end

-- String.prototype.substr as JavaScript's (typescript-to-lua's counts a negative start wrongly).
local function ____integer(v)
    v = ____number(v)
    if v ~= v then return 0 end
    return v >= 0 and ____floor(v) or -____floor(-v)
end
local function ____substr(s, from, length)
    local size = #s
    from = ____integer(from)
    if from < 0 then from = size + from < 0 and 0 or size + from end
    if from > size then from = size end
    local n = length == nil and size - from or ____integer(length)
    if n > size - from then n = size - from end
    if n <= 0 then return "" end
    return ____sub(s, from + 1, from + n)
end

-- JSON.parse and JSON.stringify for the traces and the configuration's messages. A JSON null
-- is nil (Lua has no other), so it reads as undefined.
local JSON = {}
do
    local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
    local function fail(text, at, what)
        ____error("JSON: " .. what .. " at position " .. ____format("%d", at - 1), 0)
    end
    local function skip(text, at)
        local _, e = text:find("^[ \t\r\n]*", at)
        return e + 1
    end
    local function utf8Bytes(code)
        if code < 0x80 then return ____char(code) end
        if code < 0x800 then return ____char(0xC0 + ____floor(code / 64), 0x80 + code % 64) end
        if code < 0x10000 then
            return ____char(0xE0 + ____floor(code / 4096), 0x80 + ____floor(code / 64) % 64, 0x80 + code % 64)
        end
        return ____char(0xF0 + ____floor(code / 262144), 0x80 + ____floor(code / 4096) % 64, 0x80 + ____floor(code / 64) % 64, 0x80 + code % 64)
    end
    local value
    local function str(text, at)
        local parts = {}
        at = at + 1
        while true do
            local s, e = text:find('^[^"\\\1-\31]+', at)
            if s then
                parts[#parts + 1] = ____sub(text, s, e)
                at = e + 1
            end
            local c = ____sub(text, at, at)
            if c == '"' then return ____concat(parts), at + 1 end
            if c ~= "\\" then fail(text, at, c == "" and "unterminated string" or "control character in string") end
            local x = ____sub(text, at + 1, at + 1)
            if escapes[x] then
                parts[#parts + 1] = escapes[x]
                at = at + 2
            elseif x == "u" then
                local hex = ____sub(text, at + 2, at + 5)
                if not hex:match("^%x%x%x%x$") then fail(text, at, "bad \\u escape") end
                local code = ____tonumber(hex, 16)
                at = at + 6
                local low = ____sub(text, at, at + 5):match("^\\u([dD][c-fC-F]%x%x)$")
                if code >= 0xD800 and code < 0xDC00 and low then
                    code = 0x10000 + (code - 0xD800) * 1024 + (____tonumber(low, 16) - 0xDC00)
                    at = at + 6
                end
                parts[#parts + 1] = utf8Bytes(code)
            else
                fail(text, at, "bad escape")
            end
        end
    end
    function value(text, at)
        at = skip(text, at)
        local c = ____sub(text, at, at)
        if c == "{" then
            local o, order = {}, {}
            ____keyOrder[o] = order
            at = skip(text, at + 1)
            if ____sub(text, at, at) == "}" then return o, at + 1 end
            while true do
                if ____sub(text, at, at) ~= '"' then fail(text, at, "expected a key") end
                local k
                k, at = str(text, at)
                at = skip(text, at)
                if ____sub(text, at, at) ~= ":" then fail(text, at, "expected ':'") end
                local v
                v, at = value(text, at + 1)
                if o[k] == nil then order[#order + 1] = k end
                o[k] = v
                at = skip(text, at)
                c = ____sub(text, at, at)
                if c == "}" then return o, at + 1 end
                if c ~= "," then fail(text, at, "expected ',' or '}'") end
                at = skip(text, at + 1)
            end
        elseif c == "[" then
            local a, n = {}, 0
            ____arrays[a] = true
            at = skip(text, at + 1)
            if ____sub(text, at, at) == "]" then return a, at + 1 end
            while true do
                local v
                v, at = value(text, at)
                n = n + 1
                a[n] = v
                at = skip(text, at)
                c = ____sub(text, at, at)
                if c == "]" then return a, at + 1 end
                if c ~= "," then fail(text, at, "expected ',' or ']'") end
                at = at + 1
            end
        elseif c == '"' then
            return str(text, at)
        end
        if c == "-" or c:match("%d") then
            local from = at
            if c == "-" then at = at + 1 end
            local int = text:match("^%d+", at)
            if int == nil or (#int > 1 and ____sub(int, 1, 1) == "0") then fail(text, at, "bad number") end
            at = at + #int
            local frac = text:match("^%.%d+", at)
            if frac then at = at + #frac elseif ____sub(text, at, at) == "." then fail(text, at, "bad number") end
            local exp = text:match("^[eE][-+]?%d+", at)
            if exp then at = at + #exp elseif text:match("^[eE]", at) then fail(text, at, "bad number") end
            return ____double(____tonumber(____sub(text, from, at - 1))), at
        end
        if ____sub(text, at, at + 3) == "true" then return true, at + 4 end
        if ____sub(text, at, at + 4) == "false" then return false, at + 5 end
        if ____sub(text, at, at + 3) == "null" then return nil, at + 4 end
        fail(text, at, c == "" and "unexpected end" or "unexpected character")
    end
    function JSON.parse(_, text)
        local v, at = value(text, 1)
        at = skip(text, at)
        if at <= #text then fail(text, at, "unexpected character") end
        return v
    end
    local quote = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    local function encode(v, out)
        local t = ____type(v)
        if t == "string" then
            local q = v:gsub('[\1-\31"\\]', function(c)
                return quote[c] or ____format("\\u%04x", ____byte(c))
            end)
            out[#out + 1] = '"' .. q:gsub("%z", "\\u0000") .. '"'
        elseif t == "number" then
            out[#out + 1] = (v ~= v or v == ____huge or v == -____huge) and "null" or ____numberText(v)
        elseif t == "boolean" then
            out[#out + 1] = v and "true" or "false"
        elseif t == "table" and ____isArray(v) then
            out[#out + 1] = "["
            for i = 1, #v do
                if i > 1 then out[#out + 1] = "," end
                local x = v[i]
                if x == nil or ____type(x) == "function" then out[#out + 1] = "null" else encode(x, out) end
            end
            out[#out + 1] = "]"
        elseif t == "table" then
            out[#out + 1] = "{"
            local first = true
            for k in ____forIn(v) do
                local x = v[k]
                if x ~= nil and ____type(x) ~= "function" then
                    if not first then out[#out + 1] = "," end
                    first = false
                    encode(tostring(k), out)
                    out[#out + 1] = ":"
                    encode(x, out)
                end
            end
            out[#out + 1] = "}"
        else
            out[#out + 1] = "null"
        end
    end
    -- JSON.stringify(undefined) is undefined in JavaScript, which reads "undefined" where the core
    -- joins it into a message: this gives that text.
    function JSON.stringify(_, v)
        if v == nil or ____type(v) == "function" then return "undefined" end
        local out = {}
        encode(v, out)
        return ____concat(out)
    end
end

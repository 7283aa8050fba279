-- Replays golden traces on Lua and prints what `npm run replay` prints on Node, byte for byte:
--   lua5.4 dist/lua/replay.lua [--check] [--state] tests/vectors/overload.json ...
-- It loads billing.lua from its own folder (tools/lua/build.ts copies it beside the module).
local dir = (arg and arg[0] or ""):match("^(.*[/\\])") or "./"
package.path = dir .. "?.lua;" .. package.path
local billing = require("billing")

local check, state, files = false, false, {}
for i = 1, #arg do
    if arg[i] == "--check" then check = true
    elseif arg[i] == "--state" then state = true
    else files[#files + 1] = arg[i] end
end
if #files == 0 then
    io.stderr:write("usage: replay.lua [--check] [--state] trace.json...\n")
    os.exit(2)
end

local bad = 0
for _, file in ipairs(files) do
    local f, err = io.open(file, "rb")
    if not f then
        io.stderr:write(err, "\n")
        os.exit(2)
    end
    local text = f:read("*a")
    f:close()
    local lines, differ = billing.replayText(file, text, check, state)
    io.write(table.concat(lines, "\n"), "\n")
    bad = bad + differ
end
if check then
    io.write(bad > 0 and string.format("%d step(s) differ\n", bad) or "all steps as expected\n")
end
os.exit(check and bad > 0 and 1 or 0)

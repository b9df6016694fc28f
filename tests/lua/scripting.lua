-- Chunks, environments, string dumping and the standard library's odds and ends.
local f = load("return 6 * 7")
print(f())
local env = {print = print, x = 5}
local g = load("x = x * 2; return x", "chunk", "t", env)
print(g(), env.x)
print(load("syntax error here"))
local bin = string.dump(function(a) return a + 1 end)
print(#bin > 0, load(bin)(41))
print(string.pack("<i4", 100):byte(1, -1))
print(string.unpack("<i4", string.pack("<i4", -2)))
print(next({}), type(nil), type(print), type(io.stdout), math.type(1), math.type(1.0))
print(os.getenv("MICA_UNSET_VARIABLE"), type(os.time()), type(os.clock()))
print(table.move({1, 2, 3}, 1, 3, 2)[3], #arg, arg[0] ~= nil)

-- Integer and float arithmetic, conversions and formatting.
print(1 + 2, 7 // 2, 7 % 3, -7 // 2, -7 % 3, 2 ^ 10, 10 / 4)
print(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger)
print(0.1 + 0.2, 1e300 * 1e10, -(0 / 0) ~= -(0 / 0), math.pi)
print(string.format("%5.2f|%-8d|%x|%g|%q", 3.14159, 42, 255, 1e20, "a\nb"))
print(math.floor(-3.5), math.ceil(-3.5), math.fmod(7, -3), math.abs(-0.0), math.tointeger(3.0))
print(tonumber("0x1p4"), tonumber("  12  "), tonumber("z", 36), tostring(1e15), tostring(2^63))
local acc = 0
for i = 1, 100000 do acc = (acc * 31 + i) % 1000000007 end
print("acc", acc)
print(math.sqrt(2), math.sin(1), math.exp(1), math.log(100, 10))

-- Tables, sorting, closures, metatables, coroutines and errors.
local t = {}
for i = 1, 50 do t[i] = (i * 7919) % 101 end
table.sort(t)
print(table.concat(t, " ", 1, 10), #t)
table.sort(t, function(a, b) return a > b end)
print(t[1], t[50], select("#", table.unpack(t)))
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c1, c2 = counter(), counter()
print(c1(), c1(), c2(), c1())
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, V) end
V.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
local a, b = setmetatable({x = 1, y = 2}, V), setmetatable({x = 10, y = 20}, V)
print(tostring(a + b))
local co = coroutine.create(function(x, y)
  local z = coroutine.yield(x + y)
  local w = coroutine.yield(z * 2)
  return w .. "!"
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, "done"))
print(coroutine.status(co), coroutine.resume(co))
print(pcall(function() error("boom", 0) end))
print(select(2, pcall(function() error({code = 7}) end)).code)
print(select(2, pcall(function() local x = nil; return x.y end)):match("attempt to index"))
local keys = {}
for k in pairs({alpha = 1, beta = 2, gamma = 3}) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys, ","))
local big = {}
for i = 1, 200000 do big[i] = i end
local sum = 0
for _, v in ipairs(big) do sum = sum + v end
print("sum", sum, collectgarbage("count") > 0)

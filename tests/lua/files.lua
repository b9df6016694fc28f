-- Files in the guest's filesystem: write, append, read back, seek, remove, errors.
local name = "mica-test-file.txt"
local f = assert(io.open(name, "w"))
for i = 1, 100 do f:write(("line %03d\n"):format(i)) end
f:close()
f = assert(io.open(name, "a"))
f:write("appended\n")
f:close()
local n, last = 0, nil
for line in io.lines(name) do n = n + 1; last = line end
print(n, last)
f = assert(io.open(name, "r"))
print(f:seek("end"), f:seek("set", 9), f:read("l"), f:read(4), f:read("n"))
f:close()
print(os.remove(name), io.open(name, "r"))
print(select(2, io.open("/definitely/not/here", "r")))
local t = io.open(name, "w"); t:write("x"); t:close()
print(os.rename(name, name .. ".2"), io.open(name .. ".2"):read("a"))
os.remove(name .. ".2")

-- Strings: patterns, gsub, formatting, byte-level work.
local s = "The quick brown fox jumps over the lazy dog"
print(#s, s:upper(), s:sub(5, 9), s:find("fox"), s:match("(%a+) dog"))
print((s:gsub("%w+", function(w) return w:reverse() end)))
for word, n in ("a=1, bb=22, ccc=333"):gmatch("(%a+)=(%d+)") do io.write(word, ":", n * 2, " ") end
print()
print(("x"):rep(5, "-"), ("%d items"):format(3), ("abc"):byte(1, -1))
print(string.char(72, 105), ("hello world"):gsub("o", "0", 1))
local t = {}
for i = 1, 20 do t[#t + 1] = string.format("%02d", i * 7 % 13) end
print(table.concat(t, ","))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), #utf8.char(128512))
for p, c in utf8.codes("aé€") do io.write(p, "=", c, " ") end
print()
print(("%s|%10s|%-10s|"):format("a", "right", "left"))

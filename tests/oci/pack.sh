# `mica oci pack` on its own: the layout, digests and names engines rely on, reproducible output, and its refusals.
# shellcheck shell=bash

# _pack_json TAR MEMBER EXPR: a Python expression over the JSON member j of the tarball.
_pack_json() {
	tar -xOf "$1" "$2" | /usr/bin/python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}

test_oci_pack_layout_and_digests() {
	local img=$IMAGES/helloworld/helloworld_proc-x86_64
	mkdir -p "$T/site/www/css" "$T/tree"
	echo "page" >"$T/site/www/index.html"
	echo "style" >"$T/site/www/css/a.css"
	echo "cfg" >"$T/app.conf"
	assert_exit 0 "$MICA" oci pack "$img" "$T/site/www" "$T/app.conf:/etc/app/app.conf" -o "$T/x.tar" --name micat/x:2
	# Every blob is named by its digest.
	local blob
	tar -C "$T/tree" -xf "$T/x.tar"
	for blob in "$T"/tree/blobs/sha256/*; do
		assert_eq "${blob##*/}" "$(sha256sum "$blob" | cut -d' ' -f1)" "blob digest"
	done
	assert_eq '{"imageLayoutVersion":"1.0.0"}' "$(cat "$T/tree/oci-layout")" "oci-layout"
	local manifest config layer
	manifest=$(_pack_json "$T/x.tar" index.json 'j["manifests"][0]["digest"][7:]')
	assert_eq "2" "$(_pack_json "$T/x.tar" index.json 'j["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]')" "ref.name is the tag"
	assert_eq "docker.io/micat/x:2" "$(_pack_json "$T/x.tar" index.json 'j["manifests"][0]["annotations"]["io.containerd.image.name"]')" "containerd's name"
	config=$(_pack_json "$T/x.tar" "blobs/sha256/$manifest" 'j["config"]["digest"][7:]')
	layer=$(_pack_json "$T/x.tar" "blobs/sha256/$manifest" 'j["layers"][0]["digest"][7:]')
	assert_eq "application/vnd.oci.image.layer.v1.tar" "$(_pack_json "$T/x.tar" "blobs/sha256/$manifest" 'j["layers"][0]["mediaType"]')" "uncompressed layer"
	assert_eq "['/helloworld_proc-x86_64']" "$(_pack_json "$T/x.tar" "blobs/sha256/$config" 'j["config"]["Entrypoint"]')" "entrypoint"
	assert_eq "/helloworld_proc-x86_64 proc" "$(_pack_json "$T/x.tar" "blobs/sha256/$config" 'j["config"]["Labels"]["org.mica.image"] + " " + j["config"]["Labels"]["org.mica.platform"]')" "labels"
	assert_eq "sha256:$layer" "$(_pack_json "$T/x.tar" "blobs/sha256/$config" 'j["rootfs"]["diff_ids"][0]')" "diff_id of the uncompressed layer"
	assert_eq "['micat/x:2']" "$(_pack_json "$T/x.tar" manifest.json 'j[0]["RepoTags"]')" "docker's RepoTags"
	assert_eq "blobs/sha256/$layer" "$(_pack_json "$T/x.tar" manifest.json 'j[0]["Layers"][0]')" "docker's layer path"
	# The layer: the image, the directory under its own name, the file where it was sent, parents included.
	assert_eq "helloworld_proc-x86_64
www/
www/css/
www/css/a.css
www/index.html
etc/
etc/app/
etc/app/app.conf" "$(tar -tf "$T/tree/blobs/sha256/$layer")" "layer entries"
	assert_eq "$(sha256sum <"$img")" "$(tar -xOf "$T/tree/blobs/sha256/$layer" helloworld_proc-x86_64 | sha256sum)" "image bytes in the layer"
	assert_contains "$(tar -tvf "$T/tree/blobs/sha256/$layer" helloworld_proc-x86_64)" "-rwxr-xr-x root/root" "image is executable, root's"
}

test_oci_pack_reproducible_and_default_name() {
	local img=$IMAGES/helloworld/helloworld_proc-x86_64
	mkdir -p "$T/d"
	echo a >"$T/d/f"
	"$MICA" oci pack "$img" "$T/d" -o "$T/1.tar"
	touch -d '2001-01-01' "$T/d/f"
	"$MICA" oci pack "$img" "$T/d" -o "$T/2.tar"
	assert_eq "$(sha256sum <"$T/1.tar")" "$(sha256sum <"$T/2.tar")" "same inputs, other dates: same bytes"
	# Without --name: the application's name from the image, tag latest.
	assert_eq "['helloworld:latest']" "$(_pack_json "$T/1.tar" manifest.json 'j[0]["RepoTags"]')" "default name"
	assert_eq "" "$(find "$T" -name '*.tmp-*')" "temporary files left"
}

test_oci_pack_refuses_bad_input() {
	local img=$IMAGES/helloworld/helloworld_proc-x86_64
	assert_exit 125 "$MICA" oci pack /etc/hostname -o "$T/x.tar"
	assert_contains "$(cat "$T/err")" "not a Mica image" "a file that is no image"
	assert_exit 125 "$MICA" oci pack "$img" "$T/missing" -o "$T/x.tar"
	assert_contains "$(cat "$T/err")" "$T/missing: No such file or directory" "missing FILE"
	assert_exit 125 "$MICA" oci pack "$img" "/etc/hostname:../../escape" -o "$T/x.tar"
	assert_contains "$(cat "$T/err")" "'..' are not allowed" "a destination out of the root"
	assert_exit 125 "$MICA" oci pack "$img" "/etc/hostname:/helloworld_proc-x86_64" -o "$T/x.tar"
	assert_contains "$(cat "$T/err")" "is where the image goes" "a file over the image"
	assert_exit 125 "$MICA" oci pack "$img" --name Has/Capitals -o "$T/x.tar"
	assert_contains "$(cat "$T/err")" "not a valid image name" "bad name"
	assert_exit 125 "$MICA" oci pack "$img"
	assert_contains "$(cat "$T/err")" "no -o TAR given" "no output"
	assert_exit 125 "$MICA" oci pack "$img" -o "$T/no/such/dir/x.tar"
	assert_contains "$(cat "$T/err")" "cannot create" "unwritable output"
	# A failed pack leaves an existing output as it was, and no temporary file.
	echo old >"$T/keep.tar"
	assert_exit 125 "$MICA" oci pack "$img" "$T/missing" -o "$T/keep.tar"
	assert_eq "old" "$(cat "$T/keep.tar")" "output untouched by a failure"
	assert_eq "" "$(find "$T" -name '*.tmp-*')" "temporary files left"
	assert_exit 0 "$MICA" oci pack --help
	assert_contains "$(cat "$T/out")" "Usage: mica oci pack IMAGE" "help"
}

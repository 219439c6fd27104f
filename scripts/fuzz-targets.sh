# The fuzz targets of the module, "package target" a line: sourced by
# scripts/test.d/fuzz.sh (a short run of each in the test command) and
# bench/fuzz.sh (long runs). Keep in step with `grep -r 'func Fuzz'`.
fuzz_targets=(
	"./internal/x11wire FuzzSetup"
	"./internal/x11wire FuzzReplies"
	"./internal/pulsewire FuzzPackets"
	"./internal/pulsewire FuzzTagStruct"
	"./backend/v4l2 FuzzLayoutFill"
	"./format FuzzParseVideo"
	"./format FuzzParseAudio"
	"./backend FuzzSplitID"
	"./backend/testsrc FuzzParseAddr"
	"./backend/pipewire FuzzParseAddr"
	"./backend/pipewire FuzzParseCameras"
	"./backend/x11 FuzzParseAddr"
	"./backend/gdi FuzzParseAddr"
	"./cabi FuzzParseKinds"
	"./internal/jpegdec FuzzDecode"
)

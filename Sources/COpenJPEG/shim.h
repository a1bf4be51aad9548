// OpenJPEG (libopenjp2) for the bridge's JPEG 2000 / HTJ2K decoding (CDcmtk/j2k*.cpp).
// Not API: only CDcmtk uses it.
#include <openjpeg.h>

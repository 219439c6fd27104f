/*
 * bcryptprimitives.dll for Wine 8, which lacks it: the Go runtime (1.24 and
 * later) imports ProcessPrng from it at start, so every Go .exe dies before
 * main without this. ProcessPrng fills a buffer with random bytes; here
 * advapi32's RtlGenRandom (SystemFunction036) does the work, in chunks as
 * its length is a ULONG.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

/*
 * wasapi-loopback: asks the system's WASAPI for loopback capture of the
 * default output, step by step, the way miniaudio does, and prints each
 * step's HRESULT. Exit 0 and "loopback: supported" when a capture client
 * is granted and delivers a packet of the tone playing into that output;
 * exit 3 and "loopback: unsupported at <step>" when the audio system
 * refuses. scripts/test.d/wine.sh runs it to tell whether a failure of
 * malgo:loopback is miniav's or the platform's (Wine 8 refuses at
 * GetService with AUDCLNT_E_WRONG_ENDPOINT_TYPE).
 */
#define COBJMACROS
#define CINTERFACE
#include <windows.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <stdio.h>

DEFINE_GUID(CLSID_MMDeviceEnumerator_, 0xbcde0395, 0xe52f, 0x467c, 0x8e, 0x3d, 0xc4, 0x57, 0x92, 0x91, 0x69, 0x2e);
DEFINE_GUID(IID_IMMDeviceEnumerator_, 0xa95664d2, 0x9614, 0x4f35, 0xa7, 0x46, 0xde, 0x8d, 0xb6, 0x36, 0x17, 0xe6);
DEFINE_GUID(IID_IAudioClient_, 0x1cb9ad4c, 0xdbfa, 0x4c32, 0xb1, 0x78, 0xc2, 0xf5, 0x68, 0xa7, 0x03, 0xb2);
DEFINE_GUID(IID_IAudioCaptureClient_, 0xc8adbd64, 0xe71e, 0x48a0, 0xa4, 0xde, 0x18, 0x5c, 0x39, 0x5c, 0xd3, 0x17);

static int step(const char *what, HRESULT hr)
{
	printf("%-40s 0x%08lx\n", what, (unsigned long)hr);
	if (FAILED(hr)) {
		printf("loopback: unsupported at %s (0x%08lx)\n", what, (unsigned long)hr);
		return 0;
	}
	return 1;
}

int main(void)
{
	IMMDeviceEnumerator *en = NULL;
	IMMDevice *dev = NULL;
	IAudioClient *ac = NULL;
	IAudioCaptureClient *cc = NULL;
	WAVEFORMATEX *wf = NULL;

	if (!step("CoInitializeEx", CoInitializeEx(NULL, COINIT_MULTITHREADED)))
		return 1;
	if (!step("CoCreateInstance(MMDeviceEnumerator)", CoCreateInstance(&CLSID_MMDeviceEnumerator_, NULL, CLSCTX_ALL, &IID_IMMDeviceEnumerator_, (void **)&en)))
		return 1;
	if (!step("GetDefaultAudioEndpoint(eRender)", IMMDeviceEnumerator_GetDefaultAudioEndpoint(en, eRender, eConsole, &dev)))
		return 1;
	if (!step("Activate(IAudioClient)", IMMDevice_Activate(dev, &IID_IAudioClient_, CLSCTX_ALL, NULL, (void **)&ac)))
		return 1;
	if (!step("GetMixFormat", IAudioClient_GetMixFormat(ac, &wf)))
		return 1;
	if (!step("Initialize(AUDCLNT_STREAMFLAGS_LOOPBACK)", IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_LOOPBACK, 2000000, 0, wf, NULL)))
		return 3;
	if (!step("GetService(IAudioCaptureClient)", IAudioClient_GetService(ac, &IID_IAudioCaptureClient_, (void **)&cc)))
		return 3;
	if (!step("Start", IAudioClient_Start(ac)))
		return 3;
	for (int i = 0; i < 200; i++) {
		UINT32 n = 0;
		if (SUCCEEDED(IAudioCaptureClient_GetNextPacketSize(cc, &n)) && n > 0) {
			printf("loopback: supported (a packet of %u frames after %d ms)\n", n, i * 10);
			return 0;
		}
		Sleep(10);
	}
	printf("loopback: unsupported: no packet in 2 s\n");
	return 3;
}

package gdi

import (
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// DXGI Desktop Duplication is not implemented; Open probes whether the
// system has it (IDXGIOutput1::DuplicateOutput on the first output of a
// D3D11 device's adapter), once per process, so that Info.Mode says why
// capture goes through GDI.

var (
	d3d11              = windows.NewLazySystemDLL("d3d11.dll")
	procD3D11CreateDev = d3d11.NewProc("D3D11CreateDevice")

	dxgiOnce sync.Once
	dxgiMode string
)

var (
	iidIDXGIDevice  = windows.GUID{Data1: 0x54ec77fa, Data2: 0x1377, Data3: 0x44e6, Data4: [8]byte{0x8c, 0x32, 0x88, 0xfd, 0x5f, 0x44, 0xc8, 0x4c}}
	iidIDXGIOutput1 = windows.GUID{Data1: 0x00cddea8, Data2: 0x939b, Data3: 0x4b83, Data4: [8]byte{0xa3, 0x40, 0xa6, 0x85, 0x22, 0x66, 0x66, 0xcc}}
)

// vtable slots
const (
	slotQueryInterface  = 0
	slotRelease         = 2
	slotGetAdapter      = 7  // IDXGIDevice
	slotEnumOutputs     = 7  // IDXGIAdapter
	slotDuplicateOutput = 22 // IDXGIOutput1
)

func comCall(obj unsafe.Pointer, slot int, args ...uintptr) uintptr {
	vtbl := *(**[32]uintptr)(obj)
	r, _, _ := syscall.SyscallN(vtbl[slot], append([]uintptr{uintptr(obj)}, args...)...)
	return r
}

func comRelease(obj unsafe.Pointer) {
	if obj != nil {
		comCall(obj, slotRelease)
	}
}

// captureMode is Info.Mode: GDI, and why not DXGI duplication.
func captureMode() string {
	dxgiOnce.Do(func() {
		if err := probeDuplication(); err != nil {
			dxgiMode = fmt.Sprintf("gdi bitblt (DXGI duplication unavailable: %v)", err)
		} else {
			dxgiMode = "gdi bitblt (DXGI duplication available, not implemented)"
		}
	})
	return dxgiMode
}

type hresult uint32

func (h hresult) Error() string { return fmt.Sprintf("HRESULT %#08x", uint32(h)) }

func probeDuplication() error {
	if err := procD3D11CreateDev.Find(); err != nil {
		return fmt.Errorf("no D3D11CreateDevice: %v", err)
	}
	var dev unsafe.Pointer
	const hardware, sdkVersion = 1, 7
	r, _, _ := syscall.SyscallN(procD3D11CreateDev.Addr(), 0, hardware, 0, 0, 0, 0, sdkVersion, uintptr(unsafe.Pointer(&dev)), 0, 0)
	if r != 0 || dev == nil {
		return fmt.Errorf("D3D11CreateDevice: %w", hresult(r))
	}
	defer comRelease(dev)
	var dxdev, adapter, output, output1, dup unsafe.Pointer
	if r := comCall(dev, slotQueryInterface, uintptr(unsafe.Pointer(&iidIDXGIDevice)), uintptr(unsafe.Pointer(&dxdev))); r != 0 {
		return fmt.Errorf("IDXGIDevice: %w", hresult(r))
	}
	defer comRelease(dxdev)
	if r := comCall(dxdev, slotGetAdapter, uintptr(unsafe.Pointer(&adapter))); r != 0 {
		return fmt.Errorf("IDXGIDevice::GetAdapter: %w", hresult(r))
	}
	defer comRelease(adapter)
	if r := comCall(adapter, slotEnumOutputs, 0, uintptr(unsafe.Pointer(&output))); r != 0 {
		return fmt.Errorf("IDXGIAdapter::EnumOutputs: %w", hresult(r))
	}
	defer comRelease(output)
	if r := comCall(output, slotQueryInterface, uintptr(unsafe.Pointer(&iidIDXGIOutput1)), uintptr(unsafe.Pointer(&output1))); r != 0 {
		return fmt.Errorf("IDXGIOutput1: %w", hresult(r))
	}
	defer comRelease(output1)
	if r := comCall(output1, slotDuplicateOutput, uintptr(dev), uintptr(unsafe.Pointer(&dup))); r != 0 {
		return fmt.Errorf("IDXGIOutput1::DuplicateOutput: %w", hresult(r))
	}
	comRelease(dup)
	return nil
}

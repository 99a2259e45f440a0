export function loadSerialport(): typeof import('serialport');

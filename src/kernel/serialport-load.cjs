// serialport, loaded on first use: as a plain ES import, the bundle would evaluate the package
// (its stream, bindings, mock and parsers) at the start of every command, ~25-40 ms. A require
// inside a function stays lazy in the bundle (rollup's commonjs plugin wraps the package).
'use strict';
exports.loadSerialport = () => require('serialport');

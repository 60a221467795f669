// Vietnamese banks for VietQR payouts, shared by the dashboard and the portal: the short name
// people know and the NAPAS BIN the QR code carries. A bank missing here is still payable: the
// forms take any 6-digit BIN.

export const BANKS = [
  { bin: '970436', name: 'Vietcombank' },
  { bin: '970415', name: 'VietinBank' },
  { bin: '970418', name: 'BIDV' },
  { bin: '970405', name: 'Agribank' },
  { bin: '970407', name: 'Techcombank' },
  { bin: '970422', name: 'MB' },
  { bin: '970416', name: 'ACB' },
  { bin: '970432', name: 'VPBank' },
  { bin: '970423', name: 'TPBank' },
  { bin: '970403', name: 'Sacombank' },
  { bin: '970437', name: 'HDBank' },
  { bin: '970441', name: 'VIB' },
  { bin: '970443', name: 'SHB' },
  { bin: '970431', name: 'Eximbank' },
  { bin: '970426', name: 'MSB' },
  { bin: '970448', name: 'OCB' },
  { bin: '970440', name: 'SeABank' },
  { bin: '970449', name: 'LPBank' },
  { bin: '970428', name: 'Nam A Bank' },
  { bin: '970454', name: 'Viet Capital Bank' },
  { bin: '970409', name: 'Bac A Bank' },
  { bin: '970419', name: 'NCB' },
  { bin: '970425', name: 'ABBANK' },
  { bin: '970452', name: 'KienlongBank' },
  { bin: '970438', name: 'BaoViet Bank' },
  { bin: '970429', name: 'SCB' },
  { bin: '970400', name: 'Saigonbank' },
  { bin: '970412', name: 'PVcomBank' },
  { bin: '970406', name: 'DongA Bank' },
  { bin: '970427', name: 'VietABank' },
  { bin: '970433', name: 'VietBank' },
  { bin: '970430', name: 'PGBank' },
  { bin: '970408', name: 'GPBank' },
  { bin: '970414', name: 'Oceanbank' },
  { bin: '970444', name: 'CBBank' },
  { bin: '970424', name: 'Shinhan Bank' },
  { bin: '970458', name: 'UOB' },
  { bin: '970410', name: 'Standard Chartered' },
  { bin: '458761', name: 'HSBC' },
  { bin: '422589', name: 'CIMB' },
  { bin: '970457', name: 'Woori' },
  { bin: '970439', name: 'Public Bank' },
  { bin: '970442', name: 'Hong Leong' },
  { bin: '970434', name: 'Indovina' },
  { bin: '970421', name: 'VRB' },
  { bin: '546034', name: 'CAKE' },
  { bin: '546035', name: 'Ubank' },
  { bin: '963388', name: 'Timo' },
  { bin: '971005', name: 'Viettel Money' },
  { bin: '971011', name: 'VNPT Money' },
];

/** The banks sorted by name, for a select. */
export function banksByName() {
  return [...BANKS].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
}

/** The short name of the bank with NAPAS BIN `bin`, or the BIN itself for one not listed. */
export function bankName(bin) {
  return BANKS.find((b) => b.bin === bin)?.name || bin;
}

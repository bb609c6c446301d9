/**
 * Identifying the patient of a checkout (1101): by card (read now, PIN first when the world asks;
 * family mutual aid with a relative's ID number), by ID number, or by an e-certificate code (ec.query
 * then 1101). The card is read before the cashier lock is taken, so voiding the checkout can abort it.
 */
import { maskId, maskName } from '../../core/mask.ts';
import { CardError, type CardIdentity } from '../../drivers/card/index.ts';
import { log } from '../../log.ts';
import type { Devices } from '../devices.ts';
import { TerminalError } from '../errors.ts';
import { fen, type Checkout, type Patient } from '../model.ts';
import type { CertRecord } from '../store.ts';
import type { Terminal } from '../terminal.ts';
import { refuseIfPending } from './checkout.ts';

const CARD_WAIT_MS = 20_000;

export type IdentifyQuery =
  | { method: 'card'; pin?: string | undefined; relative_certno?: string | undefined }
  | { method: 'id'; certno: string; psn_name?: string | undefined }
  | { method: 'ecert'; code: string };

export async function identify(t: Terminal, q: IdentifyQuery): Promise<unknown> {
  t.requireCashier();
  const co = t.current();
  const registered = () => new TerminalError('already_registered', '已挂号：不能更换就诊人 (the visit is registered: void the checkout to change the patient)', 409);
  if (co.visit) throw registered();
  try {
    let read: Awaited<ReturnType<Devices['readCard']>> | undefined;
    if (q.method === 'card') {
      const needPin = t.world.policy.card_pin_required;
      if (needPin && !q.pin) throw new TerminalError('pin_required', '本地区要求输入卡密码 (the card PIN is required)');
      try {
        read = await t.devices.readCard(co.minSeq, { pin: needPin ? q.pin : undefined, timeoutMs: CARD_WAIT_MS, signal: co.abort.signal });
      } catch (err) {
        throw cardFailure(err);
      }
    }
    await t.exclusive(async () => {
      if (t.co !== co || co.state !== 'open') throw new TerminalError('no_checkout', '结算单已结束 (the checkout ended while reading)', 409);
      if (co.visit) throw registered();
      if (read && q.method === 'card') {
        const id = read.identity;
        const relative = q.relative_certno?.toUpperCase();
        const out = await t.call('1101', {
          data: {
            mdtrt_cert_type: '03',
            mdtrt_cert_no: id.card_no,
            card_sn: id.card_sn,
            begntime: co.begntime,
            psn_cert_type: '01',
            certno: relative ?? id.certno,
            ...(relative ? {} : { psn_name: id.psn_name }),
          },
        });
        const holder = relative && relative !== id.certno.toUpperCase() ? { name: id.psn_name, certno: id.certno } : null;
        setPatient(t, co, out, 'card', { mdtrt_cert_type: '03', mdtrt_cert_no: id.card_no, card_sn: id.card_sn }, holder, { reader: read.reader, seq: read.cardSeq, present: true }, id);
      } else if (q.method === 'id') {
        const out = await t.call('1101', {
          data: { mdtrt_cert_type: '02', mdtrt_cert_no: q.certno.toUpperCase(), psn_cert_type: '01', certno: q.certno.toUpperCase(), begntime: co.begntime, ...(q.psn_name ? { psn_name: q.psn_name } : {}) },
        });
        setPatient(t, co, out, 'id', { mdtrt_cert_type: '02', mdtrt_cert_no: q.certno.toUpperCase() }, null, null);
      } else if (q.method === 'ecert') {
        await identifyByEcert(t, co, q.code);
      }
    });
  } catch (err) {
    if (err instanceof TerminalError) {
      t.notice('error', err.message, err.err_code);
      t.publish();
    }
    throw err;
  }
  t.publish();
  return t.view();
}

export async function identifyByEcert(t: Terminal, co: Checkout, code: string): Promise<void> {
  const c = t.cashier!;
  const q = await t.call('ec.query', {
    data: {
      orgId: t.institution.fixmedins_code,
      businessType: '01101',
      operatorId: c.opter_no,
      operatorName: c.opter_name,
      officeId: t.config.terminalId,
      officeName: t.institution.fixmedins_name,
      ecQrCode: code,
    },
  });
  const d = q.data as { ecToken: string; idNo: string; userName: string };
  const out = await t.call('1101', { data: { mdtrt_cert_type: '01', mdtrt_cert_no: d.ecToken, begntime: co.begntime, psn_cert_type: '01', certno: d.idNo, psn_name: d.userName } });
  setPatient(t, co, out, 'ecert', { mdtrt_cert_type: '01', mdtrt_cert_no: d.ecToken }, null, null);
}

function setPatient(
  t: Terminal,
  co: Checkout,
  out: Record<string, unknown>,
  via: Patient['via'],
  cert: CertRecord,
  holder: Patient['holder'],
  card: Patient['card'],
  chip?: CardIdentity,
): void {
  const b = out.baseinfo as { psn_no: string; psn_name: string; certno: string; gend: string; age?: number };
  const insuinfo = (out.insuinfo as Array<{ insutype: string; psn_type: string; psn_insu_stas: string; insuplc_admdvs: string; balc?: number }>).map((i) => ({
    insutype: i.insutype,
    psn_type: i.psn_type,
    psn_insu_stas: i.psn_insu_stas,
    insuplc_admdvs: i.insuplc_admdvs,
    balc: fen(i.balc ?? 0),
  }));
  if (co.patient && co.patient.psn_no !== b.psn_no) {
    throw new TerminalError('patient_changed', '本单已识别另一位顾客：请作废本单后重新开始 (another patient is already identified: void this checkout)', 409);
  }
  const same = co.patient?.psn_no === b.psn_no;
  co.patient = { psn_no: b.psn_no, name: b.psn_name, certno: b.certno, gend: b.gend, age: b.age ?? null, insuinfo, via, cert, holder, card };
  if (!same || !co.insutype) co.insutype = insuinfo.find((i) => i.psn_insu_stas === '1')?.insutype ?? insuinfo[0]?.insutype ?? null;
  t.invalidate(co);
  const who = `${maskName(b.psn_name)} ${maskId(b.certno)}`;
  const how = via === 'card' ? `社保卡 (card${chip ? ` gen ${chip.spec_ver}` : ''})` : via === 'ecert' ? '医保电子凭证 (e-certificate)' : '身份证号 (ID number)';
  t.notice('info', `已识别 ${who}，凭 ${how}${holder ? `；家庭共济，持卡人 ${maskName(holder.name)}` : ''}`);
  log.info({ via, psn: maskId(b.certno), holder: holder ? maskId(holder.certno) : undefined }, 'patient identified');
}

export function setInsutype(t: Terminal, insutype: string): unknown {
  const co = t.current();
  if (!co.patient) throw new TerminalError('not_identified', '请先识别顾客 (identify the patient first)', 409);
  if (co.visit) throw new TerminalError('already_registered', '已挂号，不能更换险种 (the visit is registered under its insutype)', 409);
  refuseIfPending(t, co);
  if (!co.patient.insuinfo.some((i) => i.insutype === insutype)) throw new TerminalError('insutype_unknown', `该顾客没有险种 ${insutype}`);
  co.insutype = insutype;
  t.invalidate(co);
  t.publish();
  return t.view();
}

/** The full name and ID number of the current patient, for the cashier to check against the patient. */
export function reveal(t: Terminal): { name: string; certno: string; holder: { name: string; certno: string } | null } {
  const p = t.needPatient(t.current());
  return { name: p.name, certno: p.certno, holder: p.holder };
}

function cardFailure(err: unknown): TerminalError {
  if (err instanceof CardError) {
    const msgs: Partial<Record<CardError['code'], string>> = {
      pin_wrong: `密码错误，还可再试 ${err.triesLeft ?? '?'} 次 (wrong PIN)`,
      pin_blocked: '卡已锁定 (the card is blocked)',
      pin_invalid: '密码须为 6 位数字 (the PIN is 6 digits)',
      card_removed: '读卡时卡被拔出 (the card was pulled while reading)',
      no_service: '没有读卡服务 (pcscd)：请检查读卡器 (no PC/SC service)',
    };
    return new TerminalError(`card_${err.code}`, msgs[err.code] ?? err.message, 422);
  }
  if (err instanceof TerminalError) return err;
  return new TerminalError('card_error', (err as Error).message, 422);
}

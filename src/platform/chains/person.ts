/** Who the patient is (1101) and what the catalog holds (1312): read-only. */
import { ratioToNumber } from '../../core/money.ts';
import { identify } from '../identity.ts';
import { money, personInfo, tx, type Chain } from './shared.ts';

export const PERSON = {
  '1101': tx('1101', async (ctx, input) => {
    const who = await identify(ctx.world, input.data, ctx.stamp.date, ctx.tokens);
    return personInfo(ctx, who.patient);
  }),
  '1312': tx('1312', async (ctx, input) => {
    const q = input.data ?? {};
    const rows = ctx.world.data.catalog.filter(
      (i) => (!q.hilist_code || i.hilist_code === q.hilist_code) && (!q.hilist_name || i.hilist_name.includes(q.hilist_name)),
    );
    const size = q.page_size ?? 100;
    const page = q.page_num ?? 1;
    return {
      data: rows.slice((page - 1) * size, page * size).map((i) => ({
        ...i,
        selfpay_prop: ratioToNumber(i.selfpay_prop),
        hilist_pric_uplmt_amt: i.hilist_pric_uplmt_amt === null ? null : money(i.hilist_pric_uplmt_amt),
        insu_admdvs: ctx.world.data.world.admdvs,
        barcodes: i.barcodes ?? [],
      })),
      recordCounts: rows.length,
      pageNum: page,
      pageSize: size,
    };
  }),
} satisfies Chain;

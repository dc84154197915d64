import { renderTable } from './table';

describe(renderTable.name, () => {
  it('pads columns to the widest cell, right-aligns numbers and cuts long cells', () => {
    const text = renderTable(
      [
        { header: '#', value: (row: { n: number; title: string }) => String(row.n), align: 'right' },
        { header: 'title', value: (row) => row.title, maxWidth: 8 },
      ],
      [
        { n: 1, title: 'red boots' },
        { n: 10, title: 'cap' },
      ],
    );
    expect(text.split('\n')).toEqual([' #  title', '--  --------', ' 1  red boo…', '10  cap']);
  });
});

/** Numbers written the French way (narrow no-break space between thousands). */
export const nf = (n: number) => n.toLocaleString('fr')

/** `updatedAt`, `Updated At`, `No-HP` → `updated_at`, `updated_at`, `no_hp`: the form the lists below use. */
export function canonical(column: string): string {
  return column
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export const GUESSED_FIELDS = ['email', 'phone', 'name', 'company', 'tags'] as const;
export type GuessedField = (typeof GUESSED_FIELDS)[number];

/**
 * Column names that say what they hold, in English and Indonesian, best first.
 * Sahut is a messaging platform, so a WhatsApp or mobile number beats a landline.
 */
export const FIELD_NAMES: Record<GuessedField, readonly string[]> = {
  phone: [
    'whatsapp',
    'no_whatsapp',
    'nomor_whatsapp',
    'wa',
    'no_wa',
    'nomor_wa',
    'mobile',
    'mobile_phone',
    'mobile_number',
    'cellphone',
    'handphone',
    'hp',
    'no_hp',
    'nomor_hp',
    'phone',
    'phone_number',
    'telephone',
    'telepon',
    'no_telepon',
    'nomor_telepon',
    'telp',
    'no_telp',
    'tel',
  ],
  email: ['email', 'email_address', 'e_mail', 'surel', 'alamat_email', 'alamat_surel', 'mail'],
  name: [
    'name',
    'full_name',
    'fullname',
    'nama',
    'nama_lengkap',
    'contact_name',
    'customer_name',
    'nama_kontak',
    'nama_pelanggan',
    'display_name',
  ],
  company: [
    'company',
    'company_name',
    'perusahaan',
    'nama_perusahaan',
    'organization',
    'organisation',
    'organisasi',
    'instansi',
    'business_name',
  ],
  tags: [
    'tags',
    'tag',
    'labels',
    'label',
    'segments',
    'segment',
    'segmen',
    'kategori',
    'category',
    'categories',
  ],
};

/** Words that hint at a phone or an email inside a longer name (`customer_phone`); the values must agree. */
export const IDENTITY_WORDS: Record<'phone' | 'email', readonly string[]> = {
  phone: ['whatsapp', 'wa', 'mobile', 'hp', 'handphone', 'cell', 'phone', 'telepon', 'telp', 'tel'],
  email: ['email', 'surel', 'mail'],
};

/** A name split in two columns, joined by `concat`. */
export const NAME_PAIRS: readonly (readonly [string, string])[] = [
  ['first_name', 'last_name'],
  ['firstname', 'lastname'],
  ['given_name', 'family_name'],
  ['nama_depan', 'nama_belakang'],
];

/** Timestamp columns bumped on every change, best first. */
export const CURSOR_NAMES: readonly string[] = [
  'updated_at',
  'modified_at',
  'last_modified',
  'last_modified_at',
  'last_updated',
  'last_updated_at',
  'updated_on',
  'modified_on',
  'updated',
  'modified',
  'last_update',
  'diperbarui_pada',
  'diubah_pada',
  'tanggal_diperbarui',
  'tanggal_diubah',
  'tanggal_update',
  'tgl_update',
  'tgl_ubah',
  'waktu_update',
  'waktu_diubah',
];
/** Words of other timestamp columns that also say "changed" (`customer_last_change`). */
export const CURSOR_WORDS = /update|modif|change|ubah|perbarui/;

/** Id columns of views and files, which have no primary key. */
export const ID_NAMES: readonly string[] = [
  'id',
  'uuid',
  'contact_id',
  'customer_id',
  'id_pelanggan',
  'id_kontak',
  'kode',
  'kode_pelanggan',
  'code',
  'record_id',
];

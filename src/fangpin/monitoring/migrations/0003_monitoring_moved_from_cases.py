"""The monitored period (Monitoring) moves from `cases` to `monitoring` in the migration state only: the
table keeps its name `cases_monitoring` and no row moves. `cases` 0004 drops the old state model once every
foreign key points here. The change log and the content type are relabelled so that the history of a
monitored period keeps finding its model."""

import django.db.models.deletion
from django.db import migrations, models

OLD_LABEL, NEW_LABEL = "cases.monitoring", "monitoring.monitoring"


def relabel(apps, old: str, new: str) -> None:
    ChangeLog = apps.get_model("core", "ChangeLog")
    ContentType = apps.get_model("contenttypes", "ContentType")
    ChangeLog.objects.filter(object_type=old).update(object_type=new)
    old_app, model = old.split(".")
    new_app, _model = new.split(".")
    if not ContentType.objects.filter(app_label=new_app, model=model).exists():
        ContentType.objects.filter(app_label=old_app, model=model).update(app_label=new_app)


def forwards(apps, schema_editor):
    relabel(apps, OLD_LABEL, NEW_LABEL)


def backwards(apps, schema_editor):
    relabel(apps, NEW_LABEL, OLD_LABEL)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_attachment_content_type'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0003_job'),
        ('monitoring', '0002_alter_lead_status'),
        ('registry', '0004_ledgerimport_merge_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Monitoring',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('category', models.CharField(choices=[('unstable_exited', '脱贫不稳定户'), ('marginal', '边缘易致贫户'), ('sudden_hardship', '突发严重困难户')], max_length=16, verbose_name='监测对象类别')),
                        ('risk_types', models.JSONField(default=list, verbose_name='风险类型')),
                        ('disaster_subtype', models.CharField(blank=True, max_length=12, verbose_name='灾害类型')),
                        ('status', models.CharField(choices=[('monitored', '监测中'), ('eliminated', '已消除风险')], default='monitored', max_length=12, verbose_name='状态')),
                        ('identified_on', models.DateField(verbose_name='识别日期')),
                        ('eliminated_on', models.DateField(blank=True, null=True, verbose_name='风险消除日期')),
                        ('elimination_method', models.CharField(blank=True, choices=[('assistance', '帮扶消除'), ('natural', '自然消除')], max_length=12, verbose_name='消除方式')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('elimination_case', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='monitoring_closed', to='cases.case', verbose_name='风险消除案件')),
                        ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='monitorings', to='registry.household', verbose_name='农户')),
                        ('identification_case', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='monitoring_opened', to='cases.case', verbose_name='识别认定案件')),
                    ],
                    options={
                        'verbose_name': '监测对象',
                        'verbose_name_plural': '监测对象',
                        'db_table': 'cases_monitoring',
                        'ordering': ['-identified_on', '-pk'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'monitored')), fields=('household',), name='one_current_monitoring_per_household')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]

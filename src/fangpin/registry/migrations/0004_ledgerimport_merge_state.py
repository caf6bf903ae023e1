from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_household_provisional_status'),
    ]

    operations = [
        migrations.AddField(
            model_name='ledgerimport',
            name='county_codes',
            field=models.JSONField(blank=True, default=list, help_text='校验时文件中农户所在县的6位代码；导入时按县加锁', verbose_name='涉及的县'),
        ),
        migrations.AddField(
            model_name='ledgerimport',
            name='status_reason',
            field=models.CharField(blank=True, help_text='导入失败的原因，或导入未作修改的说明', max_length=500, verbose_name='状态说明'),
        ),
        migrations.AddField(
            model_name='ledgerimport',
            name='merge_started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='开始导入时间'),
        ),
        migrations.AddField(
            model_name='ledgerimport',
            name='merge_holder',
            field=models.CharField(blank=True, help_text='主机名:进程号', max_length=200, verbose_name='导入进程'),
        ),
        migrations.AlterField(
            model_name='ledgerimport',
            name='status',
            field=models.CharField(choices=[('uploaded', '已上传'), ('validated', '校验通过'), ('invalid', '有错误'), ('merging', '正在导入'), ('merged', '已导入'), ('failed', '导入失败')], default='uploaded', max_length=10, verbose_name='状态'),
        ),
    ]
